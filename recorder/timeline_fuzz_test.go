package recorder

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/callrec/callrec/audio/mix"
)

// memSink collects committed audio in memory.
type memSink struct {
	out []int16
	nch int
}

func (m *memSink) write(_ int64, x []int16, _ int) error { m.out = append(m.out, x...); return nil }
func (m *memSink) silence(_ int64, n int64) error {
	m.out = append(m.out, make([]int16, n*int64(m.nch))...)
	return nil
}

// FuzzTimelineMatchesModel drives the timeline with frames from several
// participants, delivered out of order within the window, with pauses and
// commits at arbitrary points, and compares its output with a direct model:
// the per-channel saturating sum of every frame at its position, pauses cut
// or silenced.
func FuzzTimelineMatchesModel(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint8(2), true)
	f.Add(uint64(2), uint8(1), uint8(1), false)
	f.Add(uint64(3), uint8(6), uint8(3), true)
	f.Fuzz(func(t *testing.T, seed uint64, nParts, nch uint8, cut bool) {
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		parts := int(nParts%6) + 1
		channels := int(nch%4) + 1
		const base, capacity, frameLen = 1000, 2000, 80
		total := int64(20000)

		type fr struct {
			ch  int
			pos int64
			s   []int16
		}
		var frames []fr
		for p := range parts {
			ch := p % channels
			from := base + int64(rng.IntN(8000))/frameLen*frameLen
			to := from + int64(rng.IntN(12000))/frameLen*frameLen
			for pos := from; pos < min(to, base+total-frameLen); pos += frameLen {
				s := make([]int16, frameLen)
				for i := range s {
					s[i] = int16(rng.IntN(65536) - 32768)
				}
				frames = append(frames, fr{ch, pos, s})
			}
		}
		// Pauses: up to 3 disjoint spans.
		var pauses []pause
		at := int64(base)
		for range rng.IntN(4) {
			start := at + int64(rng.IntN(5000))
			end := start + int64(rng.IntN(3000)) + 1
			if end > base+total {
				break
			}
			pauses = append(pauses, pause{Start: start, End: end})
			at = end + 1
		}
		// Deliver in position order, shuffled within spans shorter than
		// the window, committing up to the earliest undelivered position.
		slices.SortStableFunc(frames, func(a, b fr) int { return int(a.pos - b.pos) })
		for i := 0; i < len(frames); {
			j := i
			for j < len(frames) && frames[j].pos < frames[i].pos+capacity/2 {
				j++
			}
			rng.Shuffle(j-i, func(a, b int) { frames[i+a], frames[i+b] = frames[i+b], frames[i+a] })
			i = j
		}

		sink := &memSink{nch: channels}
		tl := newTimeline(base, channels, capacity, cut, sink)
		tl.pauses = pauses
		for i, x := range frames {
			if late, err := tl.add(x.ch, x.pos, x.s); err != nil || late != 0 {
				t.Fatalf("frame %d at %d: late %d err %v", i, x.pos, late, err)
			}
			if rng.IntN(10) == 0 {
				next := int64(base + total)
				for _, y := range frames[i+1:] {
					next = min(next, y.pos)
				}
				if err := tl.commit(next - int64(rng.IntN(100))); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tl.commit(base + total); err != nil {
			t.Fatal(err)
		}

		// The model.
		acc := make([][]int32, channels)
		for c := range acc {
			acc[c] = make([]int32, total)
		}
		for _, x := range frames {
			mix.Add(acc[x.ch][x.pos-base:], x.s)
		}
		var want []int16
		for i := range total {
			pos := base + i
			paused := false
			for _, p := range pauses {
				if pos >= p.Start && pos < p.End {
					paused = true
				}
			}
			if paused && cut {
				continue
			}
			for c := range channels {
				v := int16(0)
				if !paused {
					v = mix.Clamp(acc[c][i])
				}
				want = append(want, v)
			}
		}
		if len(sink.out) != len(want) {
			t.Fatalf("timeline wrote %d samples, model %d", len(sink.out), len(want))
		}
		for i := range want {
			if sink.out[i] != want[i] {
				t.Fatalf("sample %d (frame %d, channel %d): %d, model %d", i, i/channels, i%channels, sink.out[i], want[i])
			}
		}
	})
}
