package ingest

import (
	"math"

	"github.com/callrec/callrec"
)

// framer cuts one participant's audio into contiguous 20 ms frames on the
// call clock. Audio is written at the cursor only, so by construction frame
// positions never repeat or skip: the pipeline fills gaps (with concealment
// or silence) and trims overlaps before writing.
type framer struct {
	started bool
	floor   int64   // the first frame starts no earlier than this
	pos     int64   // call-clock position of pending[0]
	pending []int16 // fewer than FrameSamples samples
	emit    func(pos int64, samples []int16)
}

func newFramer(emit func(pos int64, samples []int16)) *framer {
	return &framer{pending: make([]int16, 0, callrec.FrameSamples), emit: emit, floor: math.MinInt64}
}

// start places the cursor at pos (or floor, if later); only the first call
// has an effect.
func (f *framer) start(pos int64) {
	if !f.started {
		f.started, f.pos = true, max(pos, f.floor)
	}
}

// cursor is the position of the next sample to be written.
func (f *framer) cursor() int64 { return f.pos + int64(len(f.pending)) }

// write appends samples at the cursor, emitting every completed frame.
func (f *framer) write(samples []int16) {
	for len(samples) > 0 {
		n := min(len(samples), callrec.FrameSamples-len(f.pending))
		f.pending = append(f.pending, samples[:n]...)
		samples = samples[n:]
		f.flushFull()
	}
}

// silence appends n samples of silence.
func (f *framer) silence(n int64) {
	for n > 0 {
		k := min(n, int64(callrec.FrameSamples-len(f.pending)))
		end := len(f.pending) + int(k)
		f.pending = f.pending[:end]
		clear(f.pending[end-int(k):])
		n -= k
		f.flushFull()
	}
}

func (f *framer) flushFull() {
	if len(f.pending) == callrec.FrameSamples {
		f.emit(f.pos, f.pending)
		f.pos += callrec.FrameSamples
		f.pending = f.pending[:0]
	}
}

// finish pads the last partial frame with silence and emits it.
func (f *framer) finish() {
	if len(f.pending) > 0 {
		f.silence(int64(callrec.FrameSamples - len(f.pending)))
	}
}
