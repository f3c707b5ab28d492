package e2e

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/simulate"
)

// TestKill9MidRecordingKeepsAudio streams a tone into a real `callrec serve`,
// kills it with SIGKILL mid-recording, starts it again on the same data
// directory and stops the recording. The chunk the killed process was
// writing is a valid WAV holding the tone up to at least one second before
// the kill, with end reason serviceRestarted.
func TestKill9MidRecordingKeepsAudio(t *testing.T) {
	dataDir := t.TempDir()
	srv := startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	callID, recordingID := startRecordedCall(ctx, t, client, callautomation.RecordingChannelUnmixed)

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
	time.Sleep(4 * time.Second)
	killedAt := time.Now()
	srv.Kill(t)
	stopStream()
	res := <-joined
	if res.Started.IsZero() {
		t.Fatal("the participant never started sending")
	}

	srv = startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only"}})
	client, _ = callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
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
	a, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatalf("the killed process's chunk is not a valid WAV: %v", err)
	}
	x := a.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 {
		t.Fatal("no audio in the recovered chunk")
	}
	// The participant's audio starts at `first`; it must run at least up to
	// one second before the kill.
	mustReach := first + int((killedAt.Sub(res.Started)-time.Second).Seconds()*16000)
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
