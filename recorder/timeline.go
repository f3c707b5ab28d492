package recorder

import (
	"math"
	"time"

	"github.com/callrec/callrec/audio/mix"
)

// openEnd marks a pause that has not been resumed.
const openEnd = math.MaxInt64

// pause is one paused span of the call clock, [Start, End).
type pause struct {
	Start     int64     `json:"start"`
	End       int64     `json:"end"`
	StartTime time.Time `json:"startTime"`
	EndTime   time.Time `json:"endTime,omitzero"`
}

// sink receives committed audio in timeline order. pos is the call-clock
// position of the first frame.
type sink interface {
	// write appends frames interleaved sample frames.
	write(pos int64, interleaved []int16, frames int) error
	// silence appends frames frames of silence.
	silence(pos int64, frames int64) error
}

// timeline accumulates frames in a window ahead of the commit point and
// commits them, mixed per channel and with pauses applied, to a sink. The
// window is a ring: position p lives at index p mod capacity, so committing
// k samples costs O(k), whatever the window size. It is owned by one
// goroutine.
type timeline struct {
	base     int64     // first uncommitted call-clock position
	capacity int       // window length in samples
	acc      [][]int32 // per channel ring accumulators, each of capacity
	out      []int16   // interleave scratch
	views    [][]int32 // window views scratch
	pauses   []pause   // sorted, non-overlapping
	cut      bool      // pauses are cut (else silence)
	sink     sink
}

const scratchFrames = 4096

func newTimeline(base int64, channels, capacity int, cut bool, s sink) *timeline {
	t := &timeline{base: base, capacity: capacity, cut: cut, sink: s}
	t.acc = make([][]int32, channels)
	for c := range t.acc {
		t.acc[c] = make([]int32, capacity)
	}
	t.out = make([]int16, scratchFrames*channels)
	t.views = make([][]int32, channels)
	return t
}

// add accumulates samples at call-clock position pos into channel ch. It
// returns how many samples were dropped because they are before the commit
// point.
func (t *timeline) add(ch int, pos int64, s []int16) (late int, err error) {
	if end := pos + int64(len(s)); end > t.base+int64(t.capacity) {
		if err := t.commit(end - int64(t.capacity)); err != nil {
			return 0, err
		}
	}
	if pos < t.base {
		d := t.base - pos
		if d >= int64(len(s)) {
			return len(s), nil
		}
		s, pos, late = s[d:], t.base, int(d)
	}
	ring := t.acc[ch]
	off := t.index(pos)
	n := min(len(s), t.capacity-off)
	mix.Add(ring[off:], s[:n])
	mix.Add(ring, s[n:])
	return late, nil
}

// index returns the ring index of position pos.
func (t *timeline) index(pos int64) int {
	i := int(pos % int64(t.capacity))
	if i < 0 {
		i += t.capacity
	}
	return i
}

// pauseAt returns the pause containing pos, or else the next pause start
// after pos (openEnd if none).
func (t *timeline) pauseAt(pos int64) (in bool, boundary int64) {
	for _, p := range t.pauses {
		if pos < p.Start {
			return false, p.Start
		}
		if pos < p.End {
			return true, p.End
		}
	}
	return false, openEnd
}

// commit moves the commit point to target, writing everything before it.
func (t *timeline) commit(target int64) error {
	if target <= t.base {
		return nil
	}
	cur := t.base
	windowEnd := t.base + int64(t.capacity)
	for cur < target {
		in, boundary := t.pauseAt(cur)
		segEnd := min(target, boundary)
		switch {
		case in && t.cut:
			// dropped from the file
		case in:
			if err := t.sink.silence(cur, segEnd-cur); err != nil {
				return err
			}
		default:
			if err := t.writeActive(cur, segEnd, windowEnd); err != nil {
				return err
			}
		}
		cur = segEnd
	}
	t.clear(t.base, min(target, windowEnd))
	t.base = target
	return nil
}

// writeActive writes the accumulated audio of [from, to); the part beyond
// the window holds nothing and is written as silence.
func (t *timeline) writeActive(from, to, windowEnd int64) error {
	nch := len(t.acc)
	for from < min(to, windowEnd) {
		off := t.index(from)
		k := int(min(min(to, windowEnd)-from, scratchFrames, int64(t.capacity-off)))
		for c, a := range t.acc {
			t.views[c] = a[off : off+k]
		}
		mix.Interleave(t.out, t.views, k)
		if err := t.sink.write(from, t.out[:k*nch], k); err != nil {
			return err
		}
		from += int64(k)
	}
	if from < to {
		return t.sink.silence(from, to-from)
	}
	return nil
}

// clear zeroes the ring slots of the committed positions [from, to), which
// are at most one window long.
func (t *timeline) clear(from, to int64) {
	if to <= from {
		return
	}
	off := t.index(from)
	n := int(to - from)
	first := min(n, t.capacity-off)
	for _, a := range t.acc {
		clear(a[off : off+first])
		clear(a[:n-first])
	}
}

// pauseFrom opens a pause at pos (not before the commit point).
func (t *timeline) pauseFrom(pos int64, at time.Time) {
	if t.paused() {
		return
	}
	t.pauses = append(t.pauses, pause{Start: max(pos, t.base), End: openEnd, StartTime: at})
}

// resumeAt closes the open pause at pos.
func (t *timeline) resumeAt(pos int64, at time.Time) {
	if !t.paused() {
		return
	}
	p := &t.pauses[len(t.pauses)-1]
	p.End = max(pos, p.Start, t.base)
	p.EndTime = at
}

// inPause reports whether call-clock position pos is in a pause.
func (t *timeline) inPause(pos int64) bool {
	in, _ := t.pauseAt(pos)
	return in
}

func (t *timeline) paused() bool {
	return len(t.pauses) > 0 && t.pauses[len(t.pauses)-1].End == openEnd
}
