package sip

import (
	"math"

	"github.com/callrec/callrec"
)

// frames cuts a leg's 16 kHz audio into contiguous 20 ms frames on the
// call clock. Audio is only ever written at the cursor, so frame positions
// never repeat or skip: the stream fills gaps and trims overlaps first.
type frames struct {
	started bool
	floor   int64   // the first frame starts no earlier (the participant's previous leg ended there)
	pos     int64   // call-clock position of pending[0]
	pending []int16 // fewer than FrameSamples samples
	emit    func(pos int64, samples []int16)
	count   int64
}

func newFrames(emit func(pos int64, samples []int16)) *frames {
	return &frames{floor: math.MinInt64, pending: make([]int16, 0, callrec.FrameSamples), emit: emit}
}

// start places the cursor at pos (or the floor, if later); only the first
// call counts.
func (f *frames) start(pos int64) {
	if !f.started {
		f.started, f.pos = true, max(pos, f.floor)
	}
}

// cursor is the call-clock position of the next sample written.
func (f *frames) cursor() int64 { return f.pos + int64(len(f.pending)) }

// write appends samples at the cursor, emitting every completed frame.
func (f *frames) write(samples []int16) {
	for len(samples) > 0 {
		n := min(len(samples), callrec.FrameSamples-len(f.pending))
		f.pending = append(f.pending, samples[:n]...)
		samples = samples[n:]
		f.flush()
	}
}

// silence appends n samples of silence.
func (f *frames) silence(n int64) {
	for n > 0 {
		k := int(min(n, int64(callrec.FrameSamples-len(f.pending))))
		f.pending = f.pending[:len(f.pending)+k]
		clear(f.pending[len(f.pending)-k:])
		n -= int64(k)
		f.flush()
	}
}

func (f *frames) flush() {
	if len(f.pending) == callrec.FrameSamples {
		f.count++
		f.emit(f.pos, f.pending)
		f.pos += callrec.FrameSamples
		f.pending = f.pending[:0]
	}
}

// finish pads the last partial frame with silence and emits it.
func (f *frames) finish() {
	if len(f.pending) > 0 {
		f.silence(int64(callrec.FrameSamples - len(f.pending)))
	}
}
