package recorder_test

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/s3test"
	"github.com/callrec/callrec/recorder"
)

// s3Rig is a rig whose recordings store is a bucket on a real S3 server
// (versitygw), with quick upload retries.
func s3Rig(t *testing.T) (*rig, *s3test.Server, string) {
	t.Helper()
	srv := s3test.Shared(t)
	url := s3test.Bucket(t)
	store, err := blob.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r := newRig(t, func(c *recorder.Config) {
		c.Blob = store
		c.UploadRetryMin, c.UploadRetryMax = 100*time.Millisecond, 500*time.Millisecond
	})
	r.store = store
	return r, srv, url
}

// waitStored waits for the engine to report id on Stored.
func waitStored(t *testing.T, e *recorder.Engine, id string) {
	t.Helper()
	select {
	case got := <-e.Stored():
		if got != id {
			t.Fatalf("Stored reported %q, want %q", got, id)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("recording %s not reported stored within 60 s", id)
	}
}

// TestUploadRetriedUntilStoreReturns: with the S3 server down, Stop still
// returns the sealed chunk, the recording is Unstored, its content is
// served from the spool, where its chunk stays; when the server is back, the upload is retried, the audio is
// in the bucket (read back with a ranged read, the tone at its level), the
// recording is reported on Stored, and Release removes its spool.
func TestUploadRetriedUntilStoreReturns(t *testing.T) {
	r, srv, _ := s3Rig(t)
	const id = "rec-retry"
	r.start(id, callrec.RecordingSpec{})
	r.play(2, voice{id: "a", freq: 440, amp: 8000, from: 0, to: 2})
	r.flush(id)
	srv.Kill()
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			srv.Restart()
		}
	})
	chunks := r.stop(id, "sessionEnded")
	if len(chunks) != 1 || chunks[0].DurationMs < 1900 || chunks[0].SHA256 == "" {
		t.Fatalf("chunks %+v", chunks)
	}
	if !r.eng.Unstored(id) {
		t.Fatal("Unstored is false with the store down")
	}
	// Meanwhile its content is served from the spool: the sealed WAV, with
	// the tone, and its metadata document.
	sc, err := r.eng.OpenContent(t.Context(), chunks[0].DocumentID, callrec.PartAudio)
	if err != nil {
		t.Fatalf("content with the store down: %v, want it from the spool", err)
	}
	if sc.ETag != `"`+chunks[0].SHA256+`"` || sc.ContentType != "audio/wav" {
		t.Errorf("spool content ETag %s type %s, want the chunk's SHA-256 and audio/wav", sc.ETag, sc.ContentType)
	}
	sa, err := wav.Read(sc)
	sc.Close()
	if err != nil {
		t.Fatal(err)
	}
	expectSpans(t, "from the spool", sa.Channels[0], 440, [2]float64{0, 2})
	if m, err := r.eng.OpenContent(t.Context(), chunks[0].DocumentID, callrec.PartMetadata); err != nil {
		t.Errorf("metadata with the store down: %v, want it from the spool", err)
	} else {
		m.Close()
	}
	spool, _ := os.ReadDir(r.dir + "/spool")
	if len(spool) != 1 {
		t.Fatalf("spool holds %d recordings, want the stopped one", len(spool))
	}
	time.Sleep(time.Second) // a few failed attempts
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	waitStored(t, r.eng, id)
	got, all, ok := r.eng.StoredChunks(id)
	if !ok || !all || len(got) != 1 || got[0] != chunks[0] {
		t.Fatalf("StoredChunks %+v all=%v ok=%v, want %+v", got, all, ok, chunks)
	}
	c, err := r.eng.OpenContent(t.Context(), chunks[0].DocumentID, callrec.PartAudio)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A ranged read from 1 s on: the tone continues there.
	off := int64(44) + callrec.SampleRate*2
	if _, err := c.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, callrec.SampleRate/2*2)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(b[2*i]) | int16(b[2*i+1])<<8
	}
	if ratio, rms := goertzel(pcm, 440); ratio < 0.9 || rms < 5000 {
		t.Fatalf("ranged read at 1 s: 440 Hz share %.2f, rms %.0f", ratio, rms)
	}
	if err := r.eng.Release(id); err != nil {
		t.Fatal(err)
	}
	if spool, _ := os.ReadDir(r.dir + "/spool"); len(spool) != 0 {
		t.Fatalf("spool not released: %v", spool)
	}
}

// TestUploadResumesAfterRestart: an engine closed with a chunk not yet
// uploaded (the store down) leaves it in the spool; the next engine's
// Recover uploads it and reports the stopped recording on Stored, the
// audio whole.
func TestUploadResumesAfterRestart(t *testing.T) {
	r, srv, url := s3Rig(t)
	const id = "rec-resume"
	r.start(id, callrec.RecordingSpec{})
	r.play(3, voice{id: "a", freq: 660, amp: 8000, from: 0, to: 3})
	r.flush(id)
	srv.Kill()
	chunks := r.stop(id, "sessionEnded")
	r.eng.Close()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	store, err := blob.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e, err := recorder.New(recorder.Config{DataDir: r.dir, Blob: store})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rec, err := e.Recover(t.Context())
	if err != nil || len(rec) != 1 || !rec[0].Stopped {
		t.Fatalf("recover: %+v, %v", rec, err)
	}
	waitStored(t, e, id)
	got, all, _ := e.StoredChunks(id)
	if !all || len(got) != 1 || got[0] != chunks[0] {
		t.Fatalf("stored %+v (all %v), want %+v", got, all, chunks)
	}
	c, err := e.OpenContent(t.Context(), chunks[0].DocumentID, callrec.PartAudio)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := wav.Read(c)
	if err != nil {
		t.Fatal(err)
	}
	expectSpans(t, "resumed", a.Channels[0], 660, [2]float64{0, 3})
}
