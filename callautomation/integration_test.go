package callautomation_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/go-audio/wav"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/testserver"
)

// These tests run the SDK against the real server: internal/testserver
// runs the HTTP API on 127.0.0.1 over a real SQLite file.

func newClient(t *testing.T) (*callautomation.Client, *testserver.Server) {
	t.Helper()
	srv := testserver.Start(t)
	c, err := callautomation.NewCallAutomationClient(srv.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func newCall(t *testing.T, c *callautomation.Client) string {
	t.Helper()
	call, err := c.Calls().Create(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return call.ServerCallID
}

// responseError asserts err is a *ResponseError with status and code.
func responseError(t *testing.T, what string, err error, status int, code string) *callautomation.ResponseError {
	t.Helper()
	var re *callautomation.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("%s: got %v (%T), want a *ResponseError", what, err, err)
	}
	if re.StatusCode != status || (code != "" && re.Code != code) || re.Message == "" {
		t.Fatalf("%s: got HTTP %d code %q message %q, want HTTP %d code %q", what, re.StatusCode, re.Code, re.Message, status, code)
	}
	return re
}

func TestRecordingLifecycle(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	callID := newCall(t, c)
	rec := c.CallRecording()
	started, err := rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: callID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelMixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
	})
	if err != nil {
		t.Fatal(err)
	}
	if started.RecordingID == "" || started.RecordingKind != callautomation.RecordingKindAzureCommunicationServices {
		t.Fatalf("start answered %+v", started)
	}
	id := started.RecordingID
	wantState := func(step string, want callautomation.RecordingState) {
		t.Helper()
		st, err := rec.GetState(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if st.RecordingID != id || st.RecordingState != want {
			t.Fatalf("%s: state %+v, want %s", step, st, want)
		}
	}
	wantState("after start", callautomation.RecordingStateActive)
	if err := rec.Pause(ctx, id); err != nil {
		t.Fatal(err)
	}
	wantState("after pause", callautomation.RecordingStateInactive)
	if err := rec.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	wantState("after resume", callautomation.RecordingStateActive)
	if err := rec.Stop(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = rec.GetState(ctx, id)
	responseError(t, "state after stop", err, http.StatusNotFound, "RecordingNotFound")
	responseError(t, "pause after stop", rec.Pause(ctx, id), http.StatusNotFound, "RecordingNotFound")
	responseError(t, "stop after stop", rec.Stop(ctx, id), http.StatusNotFound, "RecordingNotFound")

	res, err := rec.Result(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if res.RecordingID != id || res.SessionEndReason == "" || res.SessionEndReason == "sessionStillOngoing" {
		t.Errorf("result %+v", res)
	}
}

func TestStartWithEveryOption(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	callID := newCall(t, c)
	alice := callautomation.CommunicationUserIdentifier{ID: "8:acs:res_alice"}
	bob := callautomation.PhoneNumberIdentifier{PhoneNumber: "+14255550123"}
	carol := callautomation.MicrosoftTeamsUserIdentifier{UserID: "carol"}
	pause := true
	started, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:                     callautomation.ServerCallLocator{ID: callID},
		RecordingStateCallbackURI:       "http://127.0.0.1:9/callback?tenant=1&x=2",
		RecordingContent:                callautomation.RecordingContentAudio,
		RecordingChannel:                callautomation.RecordingChannelUnmixed,
		RecordingFormat:                 callautomation.RecordingFormatWav,
		AudioChannelParticipantOrdering: []callautomation.CommunicationIdentifier{carol, bob, alice},
		ChannelAffinity: []callautomation.ChannelAffinity{
			callautomation.NewChannelAffinity(alice, 4), callautomation.NewChannelAffinity(bob, 0),
		},
		PauseOnStart:           &pause,
		PauseBehavior:          callautomation.PauseBehaviorSilence,
		RepeatabilityRequestID: "5b0a7d63-0f43-4a39-9a3e-0d8c7a6f6a11",
	})
	if err != nil {
		t.Fatal(err)
	}
	if started.RecordingState != callautomation.RecordingStateInactive {
		t.Errorf("pauseOnStart recording is %s", started.RecordingState)
	}
	st, err := c.CallRecording().GetState(ctx, started.RecordingID)
	if err != nil || st.RecordingState != callautomation.RecordingStateInactive {
		t.Fatalf("state %+v %v", st, err)
	}
	if err := c.CallRecording().Resume(ctx, started.RecordingID); err != nil {
		t.Fatal(err)
	}
	if err := c.CallRecording().Stop(ctx, started.RecordingID); err != nil {
		t.Fatal(err)
	}
}

func TestEnumsAreCaseInsensitive(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	callID := newCall(t, c)
	started, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: callID},
		RecordingContent: "AUDIO", RecordingChannel: "Unmixed", RecordingFormat: "WAV", PauseBehavior: "Cut",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CallRecording().Stop(ctx, started.RecordingID); err != nil {
		t.Fatal(err)
	}
}

func TestValidationErrorsSurfaceCodeAndMessage(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	callID := newCall(t, c)
	user := callautomation.CommunicationUserIdentifier{ID: "8:acs:res_u1"}
	other := callautomation.CommunicationUserIdentifier{ID: "8:acs:res_u2"}
	base := func() callautomation.StartRecordingOptions {
		return callautomation.StartRecordingOptions{
			CallLocator:      callautomation.ServerCallLocator{ID: callID},
			RecordingContent: callautomation.RecordingContentAudio,
			RecordingChannel: callautomation.RecordingChannelMixed,
			RecordingFormat:  callautomation.RecordingFormatWav,
		}
	}
	cases := []struct {
		name   string
		edit   func(*callautomation.StartRecordingOptions)
		status int
		field  string // the message must name it
	}{
		{"unmixed mp3", func(o *callautomation.StartRecordingOptions) {
			o.RecordingChannel, o.RecordingFormat = callautomation.RecordingChannelUnmixed, callautomation.RecordingFormatMp3
		}, 400, "recordingFormatType"},
		{"audioVideo wav", func(o *callautomation.StartRecordingOptions) {
			o.RecordingContent = callautomation.RecordingContentAudioVideo
		}, 400, "recordingFormatType"},
		{"affinity with mixed", func(o *callautomation.StartRecordingOptions) {
			o.ChannelAffinity = []callautomation.ChannelAffinity{callautomation.NewChannelAffinity(user, 0)}
		}, 400, "channelAffinity"},
		{"channel 5", func(o *callautomation.StartRecordingOptions) {
			o.RecordingChannel = callautomation.RecordingChannelUnmixed
			o.ChannelAffinity = []callautomation.ChannelAffinity{callautomation.NewChannelAffinity(user, 5)}
		}, 400, "channelAffinity"},
		{"channel twice", func(o *callautomation.StartRecordingOptions) {
			o.RecordingChannel = callautomation.RecordingChannelUnmixed
			o.ChannelAffinity = []callautomation.ChannelAffinity{
				callautomation.NewChannelAffinity(user, 1), callautomation.NewChannelAffinity(other, 1)}
		}, 400, "channelAffinity"},
		{"unknown format", func(o *callautomation.StartRecordingOptions) { o.RecordingFormat = "flac" }, 400, "recordingFormatType"},
		{"unknown content", func(o *callautomation.StartRecordingOptions) { o.RecordingContent = "smell" }, 400, "recordingContentType"},
		{"unknown channel", func(o *callautomation.StartRecordingOptions) { o.RecordingChannel = "stereo" }, 400, "recordingChannelType"},
		{"unknown pause behavior", func(o *callautomation.StartRecordingOptions) { o.PauseBehavior = "skip" }, 400, "pauseBehavior"},
		{"no such call", func(o *callautomation.StartRecordingOptions) {
			o.CallLocator = callautomation.ServerCallLocator{ID: "bm8tc3VjaC1jYWxs"}
		}, 404, ""},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			opts := base()
			cs.edit(&opts)
			_, err := c.CallRecording().Start(ctx, opts)
			re := responseError(t, cs.name, err, cs.status, "")
			if re.Code == "" || !strings.Contains(re.Message, cs.field) {
				t.Errorf("code %q message %q: want a code and a message naming %q", re.Code, re.Message, cs.field)
			}
			if !strings.HasSuffix(re.Error(), "(HTTP "+strconv.Itoa(cs.status)+")") {
				t.Errorf("Error() = %q", re.Error())
			}
		})
	}
}

func TestRepeatedStartReturnsTheSameRecording(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	callID := newCall(t, c)
	opts := callautomation.StartRecordingOptions{
		CallLocator:            callautomation.ServerCallLocator{ID: callID},
		RecordingFormat:        callautomation.RecordingFormatWav,
		RecordingContent:       callautomation.RecordingContentAudio,
		RepeatabilityRequestID: "0f6d3c1e-8a55-4f27-9d7e-31a1c2b3d4e5",
	}
	first, err := c.CallRecording().Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CallRecording().Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.RecordingID != first.RecordingID {
		t.Errorf("same repeatability id gave %s then %s", first.RecordingID, again.RecordingID)
	}
	opts.RepeatabilityRequestID = ""
	other, err := c.CallRecording().Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if other.RecordingID == first.RecordingID {
		t.Error("a fresh repeatability id returned the first recording")
	}
}

func TestDownloadAndDeleteRecordingFiles(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	callID := newCall(t, c)
	rec := c.CallRecording()
	started, err := rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: callID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelMixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Stop(ctx, started.RecordingID); err != nil {
		t.Fatal(err)
	}
	res, err := rec.Result(ctx, started.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	chunks := res.RecordingStorageInfo.RecordingChunks
	if len(chunks) == 0 {
		t.Fatalf("no chunks in %+v", res)
	}
	chunk := chunks[0]

	var whole bytes.Buffer
	n, err := rec.DownloadTo(ctx, chunk.ContentLocation, &whole)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(whole.Len()) || n < 44 {
		t.Fatalf("downloaded %d bytes", n)
	}
	dec := wav.NewDecoder(bytes.NewReader(whole.Bytes()))
	dec.ReadInfo()
	if !dec.IsValidFile() || dec.SampleRate != 16000 || dec.BitDepth != 16 || dec.NumChans != 1 {
		t.Errorf("not a 16 kHz 16-bit mono WAV: valid %v rate %d bits %d channels %d", dec.IsValidFile(), dec.SampleRate, dec.BitDepth, dec.NumChans)
	}

	part, err := rec.OpenContent(ctx, chunk.ContentLocation, &callautomation.HTTPRange{Offset: 8, Length: 4})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(part)
	part.Close()
	if part.StatusCode != http.StatusPartialContent || got.String() != "WAVE" || part.Size != n {
		t.Errorf("range 8-11: status %d %q size %d", part.StatusCode, got.String(), part.Size)
	}

	var meta bytes.Buffer
	if _, err := rec.DownloadTo(ctx, chunk.MetadataLocation, &meta); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(meta.Bytes(), &doc); err != nil {
		t.Fatalf("metadata is not JSON: %v: %s", err, meta.Bytes())
	}

	if err := rec.Delete(ctx, chunk.DeleteLocation); err != nil {
		t.Fatal(err)
	}
	_, err = rec.DownloadTo(ctx, chunk.ContentLocation, &bytes.Buffer{})
	responseError(t, "download after delete", err, http.StatusNotFound, "")
	responseError(t, "delete after delete", rec.Delete(ctx, chunk.DeleteLocation), http.StatusNotFound, "")
}

func TestCalls(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	const id = "Y2FsbCsvPT06eA==" // standard base64 with + / =
	created, err := c.Calls().Create(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if created.ServerCallID != id || created.State != "active" || created.Participants == nil {
		t.Errorf("created %+v", created)
	}
	_, err = c.Calls().Create(ctx, id)
	responseError(t, "create twice", err, http.StatusConflict, "CallAlreadyExists")
	got, err := c.Calls().Get(ctx, id)
	if err != nil || got.ServerCallID != id {
		t.Fatalf("get %+v %v", got, err)
	}
	if err := c.Calls().End(ctx, id); err != nil {
		t.Fatal(err)
	}
	got, err = c.Calls().Get(ctx, id)
	if err != nil || got.State != "ended" || got.EndedAt == nil {
		t.Fatalf("after end: %+v %v", got, err)
	}
	_, err = c.Calls().Get(ctx, "bm8tc3VjaA==")
	responseError(t, "unknown call", err, http.StatusNotFound, "CallNotFound")
	minted, err := c.Calls().Create(ctx, "")
	if err != nil || minted.ServerCallID == "" {
		t.Fatalf("minted %+v %v", minted, err)
	}
	if _, err := base64.StdEncoding.DecodeString(minted.ServerCallID); err != nil {
		t.Errorf("minted id %q is not standard base64", minted.ServerCallID)
	}
}

func TestWrongKeyIsRejected(t *testing.T) {
	_, srv := newClient(t)
	cs, err := hmacauth.ParseConnectionString(srv.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	wrong := hmacauth.FormatConnectionString(cs.Endpoint.String(), base64.StdEncoding.EncodeToString([]byte("not the server's key")))
	c, err := callautomation.NewCallAutomationClient(wrong, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Calls().Create(context.Background(), "")
	responseError(t, "wrong key", err, http.StatusUnauthorized, "InvalidSignature")
}
