package recorder_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/recorder"
)

// TestLiveChunkStagedInParts: with an upload interval, the live chunk's
// bytes reach the store as staged parts while it is being written; their
// concatenation, repaired as a crashed file is, is a valid WAV holding the
// tone up to the last interval; once the chunk is stored its parts and the
// journal copy are gone.
func TestLiveChunkStagedInParts(t *testing.T) {
	r := newRig(t, func(c *recorder.Config) { c.UploadInterval = 500 * time.Millisecond })
	const id = "rec-staged"
	r.start(id, callrec.RecordingSpec{})
	// The test clock moves with the call: play in steps so that commits see
	// the interval pass several times.
	var parts []blob.Attributes
	for step := 0; step < 40 && len(parts) < 3; step++ {
		r.play(0.5, voice{id: "a", freq: 440, amp: 8000, from: 0, to: 30})
		r.flush(id)
		time.Sleep(300 * time.Millisecond)
		parts = parts[:0]
		if err := r.store.List(t.Context(), "spool/", func(a blob.Attributes) error {
			if strings.Contains(a.Key, ".part-") {
				parts = append(parts, a)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(parts) < 3 {
		t.Fatalf("%d staged parts after 20 s of recording, want at least 3", len(parts))
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Key < parts[j].Key })
	var whole bytes.Buffer
	for _, p := range parts {
		if p.Metadata["offset"] != strconv.Itoa(whole.Len()) {
			t.Fatalf("part %s at offset %s, want %d", p.Key, p.Metadata["offset"], whole.Len())
		}
		o, err := r.store.Open(t.Context(), p.Key)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&whole, o)
		o.Close()
	}
	if _, err := r.store.Stat(t.Context(), "spool/"+base64.RawURLEncoding.EncodeToString([]byte(id))+"/journal.json"); err != nil {
		t.Fatalf("no journal copy beside the parts: %v", err)
	}
	path := filepath.Join(t.TempDir(), "assembled.wav")
	if err := os.WriteFile(path, whole.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := wav.Repair(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := wav.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if seconds(a) < 1 {
		t.Fatalf("assembled parts hold %.2f s", seconds(a))
	}
	expectSpans(t, "assembled", a.Channels[0], 440, [2]float64{0, seconds(a)})
	r.stop(id, "sessionEnded")
	var left []string
	r.store.List(t.Context(), "spool/", func(a blob.Attributes) error { left = append(left, a.Key); return nil })
	if len(left) != 0 {
		t.Fatalf("staged objects left after the chunk was stored: %v", left)
	}
}
