package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/internal/s3test"
	"github.com/callrec/callrec/simulate"
)

// stagedInterval is the --upload-interval of the lost-node test: at most
// this much audio (and the commits not yet made) may be lost with a node.
const stagedInterval = 2 * time.Second

// TestLostNodeRecordingFinalizedFromStorage: two nodes on one PostgreSQL
// and one S3 store (versitygw), uploading the live chunk's new bytes every
// 2 s. Node B, hosting a recorded call, is killed with -9 and never comes
// back; after the lease, node A takes the call over and finalizes the
// recording from the staged parts: the WAV downloaded through A holds the
// tone from the participant's first frame up to within the upload interval
// of the kill (judged by content, every 500 ms window), ends with reason
// nodeLost, and its RecordingFileStatusUpdated event arrives once. A keeps
// answering throughout.
func TestLostNodeRecordingFinalizedFromStorage(t *testing.T) {
	pg := pgtest.StartServer(t)
	bucket := s3test.Bucket(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	storage := []string{"--storage", bucket, "--upload-interval", stagedInterval.String()}
	a := startNode(t, pg.DSN(), "10", storage...)
	b := startNode(t, pg.DSN(), "1000", storage...)
	files := startCallbackReceiver(t, nil)
	subscribeFileEvents(t, a.ConnectionString(), files.URL+"/files")
	cb := startCallbackReceiver(t, nil)
	client, call, st := recordThrough(ctx, t, a, cb.URL+"/cb")
	startedAt := time.Now()
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	go simulate.Join(streamCtx, simulate.Options{ // ends with an error when B dies
		Endpoint: "http://" + a.addr, ConnectionString: a.ConnectionString(), CallID: call.ServerCallID,
		Participant: "8:acs:agent", Source: "tone:440", Duration: 2 * time.Minute, SettingEngine: simulate.LoopbackSettingEngine(),
	})
	waitForParticipant(ctx, t, client, call.ServerCallID, "8:acs:agent", time.Minute)
	if d, err := client.Calls().Get(ctx, call.ServerCallID); err != nil || d.Node != nodeID(t, b) {
		t.Fatalf("the call is on node %q (%v), want B", d.Node, err)
	}
	cb.WaitForStates(t, st.RecordingID, time.Minute, "active")
	time.Sleep(10 * time.Second)
	b.Kill(t)
	killed := time.Now()
	stopStream()

	deadline := time.Now().Add(nodeLease + 90*time.Second)
	for {
		d, err := client.Calls().Get(ctx, call.ServerCallID)
		if err != nil {
			t.Fatalf("node A while B is gone: %v", err)
		}
		if d.State == "ended" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lost node's call is still %s %s after the kill", d.State, time.Since(killed))
		}
		time.Sleep(500 * time.Millisecond)
	}
	ev := files.WaitForFileStatus(t, st.RecordingID, time.Minute)
	if !strings.EqualFold(ev.Data.SessionEndReason, "nodeLost") {
		t.Errorf("file event's session end reason %q, want NodeLost", ev.Data.SessionEndReason)
	}
	chunks := ev.Data.RecordingStorageInfo.RecordingChunks
	if len(chunks) != 1 {
		t.Fatalf("file event lists %d chunks, want 1: %+v", len(chunks), chunks)
	}
	var content bytes.Buffer
	if _, err := client.CallRecording().DownloadTo(ctx, chunks[0].ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	w, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatalf("the finalized chunk is not a valid WAV: %v", err)
	}
	x := w.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 {
		t.Fatal("no audio in the finalized chunk")
	}
	// The file starts at the recording's start: it must reach to within the
	// upload interval of the kill, and a second for the commits, the part's
	// upload and the start's round trip.
	recorded := time.Duration(len(x)) * time.Second / 16000
	lost := killed.Sub(startedAt) - recorded
	if lost > stagedInterval+time.Second {
		t.Errorf("the chunk holds %s, the kill came %s after the start: %s lost, want at most %s + 1 s",
			recorded, killed.Sub(startedAt).Round(10*time.Millisecond), lost.Round(10*time.Millisecond), stagedInterval)
	}
	for i := first; i+8000 <= len(x); i += 8000 {
		if f, ratio := audio.DetectTone(x[i:i+8000], 16000, audio.CommonTones); f != 440 || ratio < 100 {
			t.Fatalf("at %.1f s of %.1f: %v Hz (ratio %.0f), want the tone up to the end", float64(i)/16000, float64(len(x))/16000, f, ratio)
		}
	}
	// The event arrives once: no second delivery, under any id.
	time.Sleep(3 * time.Second)
	ids := map[string]int{}
	for _, d := range files.Deliveries() {
		var events []fileStatusEvent
		if json.Unmarshal(d.Body, &events) != nil {
			continue
		}
		for _, e := range events {
			if strings.Contains(e.Subject, st.RecordingID) {
				ids[e.ID]++
			}
		}
	}
	if len(ids) != 1 || ids[ev.ID] != 1 {
		t.Errorf("RecordingFileStatusUpdated deliveries by id %v, want one", ids)
	}
	t.Logf("finalized from staged parts: %.1f s recorded, %s lost at the kill (upload interval %s), tone from %.1f s",
		recorded.Seconds(), lost.Round(10*time.Millisecond), stagedInterval, float64(first)/16000)
}

// TestUnstoredChunkDownloadsThroughAnyNode: two nodes on one PostgreSQL
// and one S3 store; the call is recorded on node B, and the S3 server is
// down when the recording is stopped through node A. The result, read
// through A, lists the chunk at once, and its download through A (the
// store failing, A asks B, which serves it from its spool) holds the tone.
// Once the store is back the chunk is uploaded and the file event arrives,
// once.
func TestUnstoredChunkDownloadsThroughAnyNode(t *testing.T) {
	pg := pgtest.StartServer(t)
	bucket := s3test.Bucket(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	a := startNode(t, pg.DSN(), "10", "--storage", bucket)
	b := startNode(t, pg.DSN(), "1000", "--storage", bucket)
	files := startCallbackReceiver(t, nil)
	subscribeFileEvents(t, a.ConnectionString(), files.URL+"/files")
	client, call, st := recordThrough(ctx, t, a, "")
	res, err := simulate.Join(ctx, simulate.Options{
		Endpoint: "http://" + a.addr, ConnectionString: a.ConnectionString(), CallID: call.ServerCallID,
		Participant: "8:acs:agent", Source: "tone:440", Duration: 4 * time.Second, SettingEngine: simulate.LoopbackSettingEngine(),
	})
	if err != nil || res.Streamed() < 3*time.Second {
		t.Fatalf("participant: %v, streamed %s", err, res.Streamed())
	}
	if d, err := client.Calls().Get(ctx, call.ServerCallID); err != nil || d.Node != nodeID(t, b) {
		t.Fatalf("the call is on node %q (%v), want B", d.Node, err)
	}
	s3 := s3test.Shared(t)
	s3.Kill()
	up := false
	defer func() {
		if !up {
			s3.Restart()
		}
	}()
	chunk := stopFirstChunk(ctx, t, client, st.RecordingID) // carried out by B
	checkRangedTone(ctx, t, client, chunk)                  // through A, from B's spool
	time.Sleep(time.Second)
	for _, d := range files.Deliveries() {
		if strings.Contains(string(d.Body), st.RecordingID) {
			t.Fatalf("file event delivered before the chunk was stored: %s", d.Body)
		}
	}
	if err := s3.Restart(); err != nil {
		t.Fatal(err)
	}
	up = true
	ev := files.WaitForFileStatus(t, st.RecordingID, 2*time.Minute)
	if got := ev.Data.RecordingStorageInfo.RecordingChunks; len(got) != 1 || got[0].DocumentID != chunk.DocumentID {
		t.Fatalf("file event lists %+v, want the chunk listed at the stop %s", got, chunk.DocumentID)
	}
	checkRangedTone(ctx, t, client, chunk) // from the store now
	time.Sleep(2 * time.Second)
	n := 0
	for _, d := range files.Deliveries() {
		n += strings.Count(string(d.Body), `"Microsoft.Communication.RecordingFileStatusUpdated"`)
	}
	if n != 1 {
		t.Errorf("%d file events, want 1", n)
	}
}
