package recorder_test

import (
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/recorder"
)

// The same session recorded by three engines on one call: unchunked, split
// by duration, split by size. The chunks, joined, equal the unchunked file.
func TestChunksJoinedEqualUnchunked(t *testing.T) {
	r := newRig(t, nil)
	newEngine := func(mod func(*recorder.Config)) *recorder.Engine {
		cfg := recorder.Config{DataDir: t.TempDir(), Blob: r.store, Media: r.src, Clock: r.clock.Now, QueueFrames: 1 << 14}
		mod(&cfg)
		e, err := recorder.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	byTime := newEngine(func(c *recorder.Config) { c.ChunkMaxDuration = 2 * time.Second })
	bySize := newEngine(func(c *recorder.Config) { c.ChunkMaxBytes = 44 + 2*2*16000 }) // 2 s of mono
	spec := callrec.RecordingSpec{ServerCallID: callID, Content: callrec.ContentAudio, Format: callrec.FormatWav, Channel: callrec.ChannelMixed}
	r.start("whole", spec)
	for _, e := range []*recorder.Engine{byTime, bySize} {
		if err := e.Start(t.Context(), &callrec.Recording{ID: "split", Spec: spec, StartedAt: r.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	a := voice{id: "a", freq: 440, amp: 7000, from: 0, to: 9}
	b := voice{id: "b", freq: 900, amp: 7000, from: 1.5, to: 9}
	r.play(2.5, a, b)
	for _, e := range []*recorder.Engine{r.eng, byTime, bySize} {
		id := map[*recorder.Engine]string{r.eng: "whole"}[e]
		if id == "" {
			id = "split"
		}
		if err := e.Pause(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	r.play(1, a, b)
	for _, e := range []*recorder.Engine{r.eng, byTime, bySize} {
		id := map[*recorder.Engine]string{r.eng: "whole"}[e]
		if id == "" {
			id = "split"
		}
		if err := e.Resume(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	r.play(3, a, b)

	whole := r.stop("whole", callrec.EndReasonSessionEnded)
	if len(whole) != 1 {
		t.Fatalf("unchunked recording has %d chunks", len(whole))
	}
	ref := r.audio(whole[0].DocumentID).Channels[0]
	if len(ref) != int(5.5*16000) {
		t.Fatalf("unchunked: %d samples, want 5.5 s", len(ref))
	}
	for _, tc := range []struct {
		e      *recorder.Engine
		reason string
	}{{byTime, recorder.EndReasonChunkMaxTime}, {bySize, recorder.EndReasonChunkMaxSize}} {
		chunks, err := tc.e.Stop(t.Context(), "split", callrec.EndReasonSessionEnded)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) != 3 {
			t.Fatalf("%s: %d chunks, want 3", tc.reason, len(chunks))
		}
		var joined []int16
		for i, c := range chunks {
			wantReason := tc.reason
			if i == 2 {
				wantReason = "sessionEnded"
			}
			if c.Index != i || c.EndReason != wantReason {
				t.Errorf("%s chunk %d: index %d reason %s", tc.reason, i, c.Index, c.EndReason)
			}
			m := r.metadata(c.DocumentID)
			if m.ChunkIndex != i || m.ChunkDocumentID != c.DocumentID || m.SHA256 != c.SHA256 {
				t.Errorf("%s chunk %d metadata %+v", tc.reason, i, m)
			}
			// Chunk 1 starts 2 s into the recording, which is 3 s of wall
			// time because of the 1 s pause cut in chunk 1 (at 2.5 s);
			// chunk 2 at 4 s of audio = 5 s of wall time.
			wantStart := r.t0.Add([]time.Duration{0, 2 * time.Second, 5 * time.Second}[i])
			if !c.StartTime.Equal(wantStart) || m.ChunkStartTime != wantStart.Format("2006-01-02T15:04:05.0000000Z07:00") {
				t.Errorf("%s chunk %d starts %v / %s, want %v", tc.reason, i, c.StartTime, m.ChunkStartTime, wantStart)
			}
			wantPauses := map[int]int{1: 1}[i]
			if len(m.PauseResumeIntervals) != wantPauses {
				t.Errorf("%s chunk %d: %d pauses, want %d", tc.reason, i, len(m.PauseResumeIntervals), wantPauses)
			}
			wantParts := [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}}[i]
			var parts []string
			for _, p := range m.Participants {
				parts = append(parts, p.ParticipantID)
			}
			if !slices.Equal(parts, wantParts) {
				t.Errorf("%s chunk %d participants %v", tc.reason, i, parts)
			}
			joined = append(joined, r.audio(c.DocumentID).Channels[0]...)
		}
		if !slices.Equal(joined, ref) {
			first := -1
			for i := range min(len(joined), len(ref)) {
				if joined[i] != ref[i] {
					first = i
					break
				}
			}
			t.Errorf("%s: joined chunks (%d samples) differ from the unchunked recording (%d) first at %d", tc.reason, len(joined), len(ref), first)
		}
	}
}
