package e2e

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/mp3/mp3test"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/simulate"
)

// TestKill9MidRecordingKeepsAudio streams a tone into a real `callrec serve`,
// kills it with SIGKILL mid-recording, starts it again on the same data
// directory and stops the recording. The chunk the killed process was
// writing is a valid WAV (unmixed) or a playable MP3 (mixed) holding the
// tone up to at least one second before the kill, with end reason
// serviceRestarted; and the participant, whose leave the killed process
// never recorded, is marked left at the restart with its ParticipantLeft
// event.
func TestKill9MidRecordingKeepsAudio(t *testing.T) {
	t.Run("unmixed wav", func(t *testing.T) {
		kill9MidRecording(t, callautomation.RecordingChannelUnmixed, callautomation.RecordingFormatWav)
	})
	t.Run("mixed mp3", func(t *testing.T) {
		kill9MidRecording(t, callautomation.RecordingChannelMixed, callautomation.RecordingFormatMp3)
	})
}

func kill9MidRecording(t *testing.T, channel callautomation.RecordingChannel, format callautomation.RecordingFormat) {
	dataDir := t.TempDir()
	srv := startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	callID, recordingID := startRecordedCallAs(ctx, t, client, channel, format)

	se := simulate.LoopbackSettingEngine()
	joined := make(chan simulate.Result, 1)
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	go func() {
		// The stream ends with an error when the server dies; what matters
		// is what the server kept.
		res, _ := simulate.Join(streamCtx, simulate.Options{
			ConnectionString: srv.ConnectionString(),
			CallID:           callID,
			Participant:      "8:acs:survivor",
			Source:           "tone:440",
			Duration:         30 * time.Second,
			SettingEngine:    se,
		})
		joined <- res
	}()
	// On a loaded machine joining takes a while: wait until the call lists
	// the participant, then let it speak for a few seconds.
	waitForParticipant(ctx, t, client, callID, "8:acs:survivor", 30*time.Second)
	time.Sleep(3 * time.Second)
	killedAt := time.Now()
	srv.Kill(t)
	stopStream()
	res := <-joined
	if res.Started.IsZero() {
		t.Fatal("the participant never started sending")
	}

	restartedAt := time.Now()
	srv = startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only"}})
	client, _ = callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	checkLeftAtRestart(ctx, t, client, callID, "8:acs:survivor", restartedAt)
	rec := client.CallRecording()
	state, err := rec.GetState(ctx, recordingID)
	if err != nil {
		t.Fatal(err)
	}
	if state.RecordingState != "active" {
		t.Errorf("state after restart %s, want active", state.RecordingState)
	}
	chunk := stopFirstChunk(ctx, t, client, recordingID)
	if chunk.EndReason != "serviceRestarted" {
		t.Fatalf("first chunk after restart: %+v, want end reason serviceRestarted", chunk)
	}
	var content bytes.Buffer
	if _, err := rec.DownloadTo(ctx, chunk.ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	var x []int16
	if format == callautomation.RecordingFormatMp3 {
		x = mp3test.Decode(t, content.Bytes()) // fails the test if ffmpeg cannot decode it
	} else {
		a, err := wav.Read(bytes.NewReader(content.Bytes()))
		if err != nil {
			t.Fatalf("the killed process's chunk is not a valid WAV: %v", err)
		}
		x = a.Channels[0]
	}
	first := audio.FirstAbove(x, 0.05)
	if first < 0 {
		t.Fatal("no audio in the recovered chunk")
	}
	// The participant's audio starts at `first`, where its packets really
	// arrived (no earlier than packet 0 was written); it must run at least
	// up to one second before the kill, less what its sender ran late.
	sent := killedAt.Sub(res.FirstSent) - res.MaxLate
	mustReach := first + int((sent-time.Second).Seconds()*16000)
	if mustReach > len(x) {
		t.Fatalf("recovered %d ms of audio; want at least %d ms (up to 1 s before the kill)",
			(len(x)-first)/16, (mustReach-first)/16)
	}
	tail := x[mustReach-8000 : mustReach]
	if f, ratio := audio.DetectTone(tail, 16000, audio.CommonTones); f != 440 || ratio < 100 {
		t.Errorf("the last second before kill-1s holds %v Hz (ratio %.0f), want 440", f, ratio)
	}
	if db := audio.DBFS(audio.RMS(tail)); math.Abs(db-audio.DBFS(simulate.ToneAmplitude/math.Sqrt2)) > 2 {
		t.Errorf("level %.1f dBFS before the kill", db)
	}
	t.Logf("kept %d ms of audio of %d ms sent before the kill", (len(x)-first)/16, killedAt.Sub(res.Started).Milliseconds())
}

// waitForParticipant polls the call until rawID is in it.
func waitForParticipant(ctx context.Context, t *testing.T, client *callautomation.Client, callID, rawID string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if call, err := client.Calls().Get(ctx, callID); err == nil {
			for _, p := range call.Participants {
				if p.RawID == rawID && p.LeftAt == nil {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not join the call within %v", rawID, timeout)
}

// checkLeftAtRestart checks that a participant whom a killed process had in
// a call is marked left by the next process, when it started, and that its
// Callrec.Call.ParticipantLeft event was stored.
func checkLeftAtRestart(ctx context.Context, t *testing.T, client *callautomation.Client, callID, rawID string, restartedAt time.Time) {
	t.Helper()
	call, err := client.Calls().Get(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	var left *time.Time
	for _, p := range call.Participants {
		if p.RawID == rawID {
			left = p.LeftAt
		}
	}
	if left == nil || left.Before(restartedAt.Add(-time.Second)) {
		t.Errorf("after the restart %s left at %v, want at the restart (%v): %+v", rawID, left, restartedAt, call.Participants)
	}
	tailCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	errFound := errors.New("found")
	var leaves int
	err = client.Events().Tail(tailCtx, 0, func(e callautomation.StreamedEvent) error {
		if e.Event.Type == "Callrec.Call.ParticipantLeft" && strings.HasSuffix(e.Event.Subject, "/participants/"+rawID) {
			if leaves++; !e.Event.Time.Before(restartedAt.Add(-time.Second)) {
				return errFound
			}
		}
		return nil
	})
	if !errors.Is(err, errFound) {
		t.Errorf("no ParticipantLeft event for %s at the restart (%d before it; tail: %v)", rawID, leaves, err)
	}
}
