package recorder_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/internal/testdisk"
	"github.com/callrec/callrec/recorder"
)

// TestFullDiskEndsTheChunk records a tone into a spool on a small real
// filesystem and fills it: the engine reports the recording on Ended with
// end reason storageFull, pause answers StorageFull (507), and Stop succeeds
// with the chunk ended storageFull holding the tone written before.
func TestFullDiskEndsTheChunk(t *testing.T) {
	disk := testdisk.Small(t, "16m")
	var eng *recorder.Engine
	r := newRig(t, func(c *recorder.Config) {
		store, err := blob.OpenDir(filepath.Join(disk, "recordings"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		c.DataDir, c.Blob = disk, store
	})
	eng = r.eng
	r.start("rec-full", callrec.RecordingSpec{})
	tone := voice{id: "a", freq: 440, amp: 8000, from: 0, to: 60}
	r.play(2, tone)
	// The commit tick runs on the wall clock: a second lets it write and
	// sync what the call clock has passed.
	time.Sleep(time.Second)
	testdisk.Fill(t, filepath.Join(disk, "filler"))

	var ended callrec.RecordingEnd
	deadline := time.After(30 * time.Second)
	for ended.RecordingID == "" {
		r.play(0.2, tone)
		select {
		case ended = <-eng.Ended():
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no recording reported on Ended within 30s of the disk filling")
		}
	}
	if ended.RecordingID != "rec-full" || ended.Reason != callrec.EndReasonStorageFull {
		t.Fatalf("ended %+v", ended)
	}
	err := eng.Pause(context.Background(), "rec-full")
	if callrec.KindOf(err) != callrec.KindStorageFull || callrec.CodeOf(err) != callrec.CodeStorageFull {
		t.Errorf("pause after the disk filled: %v, want %s", err, callrec.CodeStorageFull)
	}
	chunks := r.stop("rec-full", callrec.EndReasonSessionEnded)
	if len(chunks) != 1 || chunks[0].EndReason != callrec.EndReasonStorageFull {
		t.Fatalf("chunks %+v, want one ending %s", chunks, callrec.EndReasonStorageFull)
	}
	a := r.audio(chunks[0].DocumentID)
	if s := seconds(a); s < 1.4 {
		t.Fatalf("%.2f s kept, want the 1.5 s committed before the disk filled", s)
	}
	expectSpans(t, "kept", a.Channels[0], 440, [2]float64{0, seconds(a)})
}
