package callmedia

import (
	"math"

	"github.com/callrec/callrec"
)

// Framer cuts one participant's 16 kHz audio into contiguous 20 ms frames
// on the call clock, for any transport. Audio is written at the cursor
// only, so by construction frame positions never repeat or skip: the
// transport fills gaps (with concealment or silence) and trims overlaps
// before writing.
type Framer struct {
	started bool
	floor   int64   // the first frame starts no earlier than this
	pos     int64   // call-clock position of pending[0]
	pending []int16 // fewer than FrameSamples samples
	emit    func(pos int64, samples []int16)
}

// NewFramer returns a framer that hands each whole frame to emit (which
// must not keep samples).
func NewFramer(emit func(pos int64, samples []int16)) *Framer {
	return &Framer{pending: make([]int16, 0, callrec.FrameSamples), emit: emit, floor: math.MinInt64}
}

// SetFloor makes the first frame start no earlier than pos (where the
// participant's previous leg ended). It has no effect once started.
func (f *Framer) SetFloor(pos int64) { f.floor = pos }

// Started reports whether Start has placed the cursor.
func (f *Framer) Started() bool { return f.started }

// Start places the cursor at pos (or the floor, if later); only the first
// call has an effect.
func (f *Framer) Start(pos int64) {
	if !f.started {
		f.started, f.pos = true, max(pos, f.floor)
	}
}

// Cursor is the call-clock position of the next sample to be written.
func (f *Framer) Cursor() int64 { return f.pos + int64(len(f.pending)) }

// Write appends samples at the cursor, emitting every completed frame.
func (f *Framer) Write(samples []int16) {
	for len(samples) > 0 {
		n := min(len(samples), callrec.FrameSamples-len(f.pending))
		f.pending = append(f.pending, samples[:n]...)
		samples = samples[n:]
		f.flushFull()
	}
}

// Silence appends n samples of silence.
func (f *Framer) Silence(n int64) {
	for n > 0 {
		k := min(n, int64(callrec.FrameSamples-len(f.pending)))
		end := len(f.pending) + int(k)
		f.pending = f.pending[:end]
		clear(f.pending[end-int(k):])
		n -= k
		f.flushFull()
	}
}

func (f *Framer) flushFull() {
	if len(f.pending) == callrec.FrameSamples {
		f.emit(f.pos, f.pending)
		f.pos += callrec.FrameSamples
		f.pending = f.pending[:0]
	}
}

// Finish pads the last partial frame with silence and emits it.
func (f *Framer) Finish() {
	if len(f.pending) > 0 {
		f.Silence(int64(callrec.FrameSamples - len(f.pending)))
	}
}
