package ingest

import (
	"math"

	"github.com/callrec/callrec"
)

// timeline cuts one participant's audio into contiguous 20 ms frames on the
// call clock. Audio is written at the cursor only, so by construction frame
// positions never repeat or skip: the pipeline fills gaps (with concealment
// or silence) and trims overlaps before writing.
type timeline struct {
	started bool
	floor   int64   // the first frame starts no earlier than this
	pos     int64   // call-clock position of pending[0]
	pending []int16 // fewer than FrameSamples samples
	emit    func(pos int64, samples []int16)
}

func newTimeline(emit func(pos int64, samples []int16)) *timeline {
	return &timeline{pending: make([]int16, 0, callrec.FrameSamples), emit: emit, floor: math.MinInt64}
}

// start places the cursor at pos (or floor, if later); only the first call
// has an effect.
func (t *timeline) start(pos int64) {
	if !t.started {
		t.started, t.pos = true, max(pos, t.floor)
	}
}

// cursor is the position of the next sample to be written.
func (t *timeline) cursor() int64 { return t.pos + int64(len(t.pending)) }

// write appends samples at the cursor, emitting every completed frame.
func (t *timeline) write(samples []int16) {
	for len(samples) > 0 {
		n := min(len(samples), callrec.FrameSamples-len(t.pending))
		t.pending = append(t.pending, samples[:n]...)
		samples = samples[n:]
		t.flushFull()
	}
}

// silence appends n samples of silence.
func (t *timeline) silence(n int64) {
	for n > 0 {
		k := min(n, int64(callrec.FrameSamples-len(t.pending)))
		end := len(t.pending) + int(k)
		t.pending = t.pending[:end]
		clear(t.pending[end-int(k):])
		n -= k
		t.flushFull()
	}
}

func (t *timeline) flushFull() {
	if len(t.pending) == callrec.FrameSamples {
		t.emit(t.pos, t.pending)
		t.pos += callrec.FrameSamples
		t.pending = t.pending[:0]
	}
}

// finish pads the last partial frame with silence and emits it.
func (t *timeline) finish() {
	if len(t.pending) > 0 {
		t.silence(int64(callrec.FrameSamples - len(t.pending)))
	}
}
