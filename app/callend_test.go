package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/simulate"
)

// tonePublisher joins rawID to callID with a 440 Hz tone for d, in the
// background; the result arrives on the channel when Join returns.
func tonePublisher(ctx context.Context, node *testserver.Server, callID, rawID string, d time.Duration) <-chan joinResult {
	done := make(chan joinResult, 1)
	go func() {
		res, err := simulate.Join(ctx, simulate.Options{
			ConnectionString: node.ConnectionString, CallID: callID, Participant: rawID,
			Source: "tone:440", Duration: d, SettingEngine: simulate.LoopbackSettingEngine(),
		})
		done <- joinResult{res, err, time.Now()}
	}()
	return done
}

type joinResult struct {
	res  simulate.Result
	err  error
	when time.Time // when Join returned
}

// startCallRecording creates a call and starts a mixed WAV recording of it.
func startCallRecording(t *testing.T, c *callautomation.Client) (callID, recordingID string) {
	t.Helper()
	call, err := c.Calls().Create(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.CallRecording().Start(t.Context(), callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelMixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
	})
	if err != nil {
		t.Fatal(err)
	}
	return call.ServerCallID, st.RecordingID
}

// waitStopped waits for a recording to be stopped and returns its result.
func waitStopped(t *testing.T, c *callautomation.Client, id string, timeout time.Duration) *callautomation.RecordingResult {
	t.Helper()
	var res *callautomation.RecordingResult
	waitFor(t, "the recording to stop", timeout, func() bool {
		r, err := c.CallRecording().Result(t.Context(), id)
		if err != nil || r.SessionEndReason == "" || r.SessionEndReason == callrec.EndReasonStillOngoing ||
			len(r.RecordingStorageInfo.RecordingChunks) == 0 {
			return false
		}
		res = r
		return true
	})
	return res
}

// A call whose participants all left ends CallIdleTimeout later, unless
// someone rejoins; until then its recording goes on, in silence; the
// recording then stops with end reason callEnded.
func TestIdleCallEndsAndItsRecordingStops(t *testing.T) {
	const idle = 1500 * time.Millisecond
	node := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.CallIdleTimeout = idle }))
	c := sdkClient(t, node)
	callID, recID := startCallRecording(t, c)

	joined := <-tonePublisher(t.Context(), node, callID, "8:acs:only", 1500*time.Millisecond)
	if joined.err != nil {
		t.Fatal(joined.err)
	}
	left := joined.when
	call, err := c.Calls().Get(t.Context(), callID)
	if err != nil || call.State != callrec.CallActive {
		t.Fatalf("right after the last leave the call is %+v (%v), want active for %v more", call, err, idle)
	}
	var endedAt time.Time
	waitFor(t, "the idle call to end", 30*time.Second, func() bool {
		call, err := c.Calls().Get(t.Context(), callID)
		if err == nil && call.State == callrec.CallEnded {
			endedAt = *call.EndedAt
			return true
		}
		return false
	})
	if wait := endedAt.Sub(left); wait < idle-100*time.Millisecond {
		t.Errorf("the call ended %v after its last participant left, before the idle timeout %v", wait, idle)
	}
	res := waitStopped(t, c, recID, 30*time.Second)
	chunks := res.RecordingStorageInfo.RecordingChunks
	if res.SessionEndReason != callrec.EndReasonCallEnded || chunks[len(chunks)-1].EndReason != callrec.EndReasonCallEnded {
		t.Errorf("recording ended with %q (chunk %q), want %s", res.SessionEndReason, chunks[len(chunks)-1].EndReason, callrec.EndReasonCallEnded)
	}

	// The file holds the tone, then silence while nobody was in the call,
	// up to the end of the call.
	var content bytes.Buffer
	if _, err := c.CallRecording().DownloadTo(t.Context(), chunks[0].ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	a, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	x := a.Channels[0]
	first, last := audio.FirstAbove(x, 0.05), lastAbove(x, 0.05)
	if first < 0 {
		t.Fatal("no tone in the recording")
	}
	if f, ratio := detectTone(x[first:last]); f != 440 || ratio < 100 {
		t.Errorf("recorded %v Hz (ratio %.0f), want 440", f, ratio)
	}
	silence := time.Duration(len(x)-last) * time.Second / callrec.SampleRate
	if silence < idle-300*time.Millisecond {
		t.Errorf("the recording has %v after the participant left, want the idle %v of silence", silence, idle)
	}
	if p := audio.Peak(x[last:]); p > 0.01 {
		t.Errorf("after the participant left the recording is not silent (peak %.3f)", p)
	}
	t.Logf("last leave → call end %v (idle timeout %v); %v of silence recorded", endedAt.Sub(left).Round(time.Millisecond), idle, silence.Round(time.Millisecond))
}

// A call nobody joins ends CallUnjoinedTimeout after its creation.
func TestUnjoinedCallEnds(t *testing.T) {
	node := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.CallUnjoinedTimeout = 300 * time.Millisecond }))
	c := sdkClient(t, node)
	call, err := c.Calls().Create(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unjoined call to end", 20*time.Second, func() bool {
		got, err := c.Calls().Get(t.Context(), call.ServerCallID)
		return err == nil && got.State == callrec.CallEnded
	})
}

// Ending a call (DELETE /calls/{id}, callrec call end) disconnects its
// participants at once: a simulated participant is told the call ended
// within a second (judged generously on a loaded machine), its recording
// stops with callEnded, and the call takes no new tokens or joins.
func TestEndCallHangsUpEveryoneAtOnce(t *testing.T) {
	node := testserver.Start(t)
	c := sdkClient(t, node)
	callID, recID := startCallRecording(t, c)
	a := tonePublisher(t.Context(), node, callID, "8:acs:a", time.Minute)
	b := tonePublisher(t.Context(), node, callID, "4:+14255550123", time.Minute)
	waitFor(t, "both participants in the call", 20*time.Second, func() bool {
		return len(node.App.Hub.Participants(callID)) == 2
	})

	ended := time.Now()
	if err := c.Calls().End(t.Context(), callID); err != nil {
		t.Fatal(err)
	}
	for _, done := range []<-chan joinResult{a, b} {
		select {
		case r := <-done:
			if !errors.Is(r.err, simulate.ErrCallEnded) {
				t.Errorf("%s: Join returned %v, want ErrCallEnded", r.res.Participant, r.err)
			}
			took := r.when.Sub(ended)
			t.Logf("%s told the call ended %v after DELETE /calls/{id} (%d packets sent)", r.res.Participant, took.Round(time.Millisecond), r.res.Sent)
			if took > 5*time.Second {
				t.Errorf("%s was told %v after the call ended, want within a second", r.res.Participant, took)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a participant was never told that the call ended")
		}
	}
	res := waitStopped(t, c, recID, 30*time.Second)
	if res.SessionEndReason != callrec.EndReasonCallEnded {
		t.Errorf("recording ended with %q, want %s", res.SessionEndReason, callrec.EndReasonCallEnded)
	}

	status, code := postToken(t, node, callID, "8:acs:late")
	if status != http.StatusNotFound || code != callrec.CodeCallEnded {
		t.Errorf("a token for the ended call: %d %s, want 404 %s", status, code, callrec.CodeCallEnded)
	}
	late := <-tonePublisher(t.Context(), node, callID, "8:acs:late", time.Second)
	var we *simulate.WHIPError
	if !errors.As(late.err, &we) || we.Status != http.StatusNotFound || we.Code != callrec.CodeCallEnded {
		t.Errorf("a join of the ended call: %v, want 404 %s", late.err, callrec.CodeCallEnded)
	}
}

// postToken asks POST /calls/{id}/tokens for a join token and returns the
// status and error code.
func postToken(t *testing.T, node *testserver.Server, callID, rawID string) (int, string) {
	t.Helper()
	cs, err := hmacauth.ParseConnectionString(node.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"participant": rawID})
	u := node.URL + "/calls/" + url.PathEscape(callID) + "/tokens"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	hmacauth.Sign(req, cs.Key, req.URL.Host, req.URL.EscapedPath(), body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code
}

// A call takes at most --max-participants-per-call participants at once;
// one more WHIP join gets 409 TooManyParticipants, and a leave makes room.
func TestParticipantsPerCallAreCapped(t *testing.T) {
	node := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.MaxParticipantsPerCall = 2 }))
	c := sdkClient(t, node)
	call, err := c.Calls().Create(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	callID := call.ServerCallID
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	first := tonePublisher(ctx, node, callID, "8:acs:one", time.Minute)
	tonePublisher(ctx, node, callID, "8:acs:two", time.Minute)
	waitFor(t, "two participants in the call", 20*time.Second, func() bool {
		return len(node.App.Hub.Participants(callID)) == 2
	})
	third := <-tonePublisher(t.Context(), node, callID, "8:acs:three", time.Second)
	var we *simulate.WHIPError
	if !errors.As(third.err, &we) || we.Status != http.StatusConflict || we.Code != callmedia.CodeTooManyParticipants {
		t.Fatalf("a third participant: %v, want 409 %s", third.err, callmedia.CodeTooManyParticipants)
	}
	if !strings.Contains(we.Message, "2 participants") {
		t.Errorf("the refusal does not say the limit: %q", we.Message)
	}
	// A rejoin replaces the participant's session: it is not one more.
	again := tonePublisher(ctx, node, callID, "8:acs:one", time.Minute)
	r := <-first
	var d *simulate.Disconnected
	if !errors.As(r.err, &d) || d.Reason != callmedia.ReasonReplaced {
		t.Errorf("the replaced session ended with %v, want Disconnected %s", r.err, callmedia.ReasonReplaced)
	}
	select {
	case r := <-again:
		t.Fatalf("the rejoin ended: %v", r.err)
	case <-time.After(500 * time.Millisecond):
	}
	waitFor(t, "the rejoin in the call", 20*time.Second, func() bool {
		return len(node.App.Hub.Participants(callID)) == 2
	})
}

// Participants whose leave a previous process never recorded (it was
// killed: e2e's TestKill9MidRecordingKeepsAudio does it with SIGKILL) are
// marked left when the next process starts, each with its ParticipantLeft
// event; the call then ends after the idle timeout like any other.
func TestParticipantsOfAPreviousProcessLeaveAtRestart(t *testing.T) {
	first := testserver.Start(t)
	call, err := first.App.Service.CreateCall(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	// Joins recorded as a transport records them, with no media session
	// that would record the leaves at shutdown: the state a kill leaves.
	for _, id := range []string{"8:acs:a", "4:+14255550123"} {
		if err := first.App.Service.JoinParticipant(t.Context(), call.ServerCallID, id); err != nil {
			t.Fatal(err)
		}
	}
	first.Stop()

	restarted := time.Now()
	second := testserver.Start(t, testserver.WithDataDir(first.DataDir),
		testserver.WithConfig(func(c *app.Config) { c.CallIdleTimeout = 300 * time.Millisecond }))
	got, err := second.App.Service.Call(t.Context(), call.ServerCallID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got.Participants {
		if p.LeftAt == nil || p.LeftAt.Before(restarted.Add(-time.Second)) {
			t.Errorf("%s left at %v, want at the restart (%v)", p.RawID, p.LeftAt, restarted)
		}
	}
	events, _, err := second.App.DB.EventsAfter(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	leaves := map[string]bool{}
	for _, e := range events {
		if e.Type == "Callrec.Call.ParticipantLeft" && !e.Time.Before(restarted.Add(-time.Second)) {
			leaves[e.Subject[strings.LastIndex(e.Subject, "/")+1:]] = true
		}
	}
	if !leaves["8:acs:a"] || !leaves["4:+14255550123"] || len(leaves) != 2 {
		t.Errorf("ParticipantLeft events at the restart for %v, want both participants", leaves)
	}
	waitFor(t, "the emptied call to end", 20*time.Second, func() bool {
		c, err := second.App.Service.Call(t.Context(), call.ServerCallID)
		return err == nil && c.State == callrec.CallEnded
	})
}
