package app_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/testdisk"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/simulate"
)

// wantStatus requires err to be the server's answer status with code.
func wantStatus(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var re *callautomation.ResponseError
	if !errors.As(err, &re) || re.StatusCode != status || re.Code != code {
		t.Errorf("%s on a full disk: %v, want %d %s", what, err, status, code)
	}
}

// checkTone downloads a chunk and requires a second of 440 Hz in its first
// channel.
func checkTone(ctx context.Context, t *testing.T, rec *callautomation.CallRecording, contentURL string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := rec.DownloadTo(ctx, contentURL, &buf); err != nil {
		t.Fatalf("download: %v", err)
	}
	a, err := wav.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the chunk is not a valid WAV: %v", err)
	}
	x := a.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 || first+a.SampleRate > len(x) {
		t.Fatalf("no second of audio in the chunk (%d samples, first loud at %d)", len(x), first)
	}
	part := x[first+a.SampleRate/4 : first+a.SampleRate*3/4]
	if f, ratio := audio.DetectTone(part, a.SampleRate, audio.CommonTones); f != 440 || ratio < 100 {
		t.Errorf("the chunk holds %v Hz (ratio %.0f), want 440 Hz", f, ratio)
	}
}

// TestFullDiskEndsRecordingCleanly records a tone on a small real
// filesystem and fills it: the recording ends with its chunk published
// (end reason storageFull, the audio written before), a state callback and
// a file event; while the disk stays full, writes answer 507
// InsufficientStorage, the server restarts, and the chunk can be downloaded
// and deleted; once space is freed, recording works again.
func TestFullDiskEndsRecordingCleanly(t *testing.T) {
	disk := testdisk.Small(t, "40m")
	dataDir := filepath.Join(disk, "data")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	states := &received{}
	cb := httptest.NewServer(states)
	defer cb.Close()
	files := newEventReceiver("")
	filesURL, _ := serveOn(t, "127.0.0.1:0", files)

	s := testserver.Start(t, testserver.WithDataDir(dataDir), testserver.FastWebhooks())
	c := sdkClient(t, s)
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{
		Name: "files", URL: filesURL, Schema: callrec.SchemaEventGrid,
		Types: []string{callrec.EventRecordingFileStatusUpdated},
	}); err != nil {
		t.Fatal(err)
	}
	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := c.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:               callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent:          callautomation.RecordingContentAudio,
		RecordingChannel:          callautomation.RecordingChannelUnmixed,
		RecordingFormat:           callautomation.RecordingFormatWav,
		RecordingStateCallbackURI: cb.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	se := simulate.LoopbackSettingEngine()
	streamCtx, stopStream := context.WithCancel(ctx)
	var streaming sync.WaitGroup
	defer func() { stopStream(); streaming.Wait() }()
	streaming.Go(func() {
		simulate.Join(streamCtx, simulate.Options{
			ConnectionString: s.ConnectionString, CallID: call.ServerCallID, Participant: "8:acs:tone",
			Source: "tone:440", Duration: time.Minute, SettingEngine: se,
		})
	})
	// Two seconds of the tone recorded (and so on disk within a second),
	// then the disk fills.
	waitFor(t, "two seconds of the tone", 60*time.Second, func() bool {
		stats, err := s.App.Engine.Stats(st.RecordingID)
		return err == nil && stats.Frames >= 100
	})
	time.Sleep(time.Second)
	testdisk.Fill(t, filepath.Join(disk, "filler-1"))

	waitFor(t, "the recording's end", 30*time.Second, func() bool {
		_, err := rec.GetState(ctx, st.RecordingID)
		return err != nil
	})
	result, err := rec.Result(ctx, st.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	chunks := result.RecordingStorageInfo.RecordingChunks
	if len(chunks) != 1 || !strings.EqualFold(chunks[0].EndReason, callrec.EndReasonStorageFull) {
		t.Fatalf("chunks %+v, want one ending %s", chunks, callrec.EndReasonStorageFull)
	}
	waitFor(t, "the state callback of the end", 30*time.Second, func() bool {
		got := states.states()
		return len(got) >= 2 && got[len(got)-1] == "inactive"
	})
	waitFor(t, "the file event", 30*time.Second, func() bool {
		for _, h := range files.snapshot() {
			for _, ev := range h.Events {
				if ev["eventType"] == callrec.EventRecordingFileStatusUpdated && strings.Contains(ev["subject"].(string), st.RecordingID) {
					return true
				}
			}
		}
		return false
	})
	checkTone(ctx, t, rec, chunks[0].ContentLocation)

	// The reserve the recorder gave up is taken too: nothing fits now.
	testdisk.Fill(t, filepath.Join(disk, "filler-2"))
	_, err = c.Calls().Create(ctx, "")
	wantStatus(t, "creating a call", err, http.StatusInsufficientStorage, callrec.CodeStorageFull)

	// A server starts on the full disk and serves what was recorded.
	s.Stop()
	s = testserver.Start(t, testserver.WithDataDir(dataDir), testserver.FastWebhooks())
	c = sdkClient(t, s)
	rec = c.CallRecording()
	result, err = rec.Result(ctx, st.RecordingID) // content URLs on the new address
	if err != nil {
		t.Fatal(err)
	}
	chunks = result.RecordingStorageInfo.RecordingChunks
	checkTone(ctx, t, rec, chunks[0].ContentLocation)
	if err := rec.Delete(ctx, chunks[0].DeleteLocation); err != nil {
		t.Errorf("deleting on a full disk: %v", err)
	}

	// Space freed: recording works again.
	for _, f := range []string{"filler-1", "filler-2"} {
		if err := os.Remove(filepath.Join(disk, f)); err != nil {
			t.Fatal(err)
		}
	}
	call, err = c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatalf("creating a call after space was freed: %v", err)
	}
	st, err = rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelUnmixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
	})
	if err != nil {
		t.Fatalf("starting a recording after space was freed: %v", err)
	}
	if _, err := simulate.Join(ctx, simulate.Options{
		ConnectionString: s.ConnectionString, CallID: call.ServerCallID, Participant: "8:acs:tone",
		Source: "tone:440", Duration: 2 * time.Second, SettingEngine: se,
	}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	result, err = rec.Result(ctx, st.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	chunks = result.RecordingStorageInfo.RecordingChunks
	if len(chunks) != 1 || !strings.EqualFold(chunks[0].EndReason, callrec.EndReasonSessionEnded) {
		t.Fatalf("chunks after space was freed %+v", chunks)
	}
	checkTone(ctx, t, rec, chunks[0].ContentLocation)
}
