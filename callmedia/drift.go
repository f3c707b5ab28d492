package callmedia

import "github.com/callrec/callrec"

// A sender's sample clock and callrec's run at slightly different rates
// (tens to hundreds of ppm, up to ~0.4 s an hour). Every DriftWindow a
// DriftTracker measures how much later than its mapping the least-delayed
// packet arrived; when that excess keeps its sign beyond DriftThreshold
// over two windows, the mapping is to move by the smaller excess, at most
// one sample per packet: a whole move at once would cut or insert
// milliseconds of audio (a click), while one sample per 20 ms packet is
// inaudible and still follows 3000 ppm.
const (
	DriftWindow    = 2 * callrec.SampleRate // samples of call clock
	DriftThreshold = callrec.SampleRate / 1000
)

// DriftTracker decides the moves of one stream's mapping from RTP time to
// the call clock, from its packets' excess delays. WebRTC and SIP legs use
// it alike.
type DriftTracker struct {
	end        int64 // call position where the window closes
	min        int64 // least excess in the window (as if pending were done)
	seen       bool
	lastExcess int64 // the previous window's least excess, less the move decided then
	pending    int64 // decided move not yet applied, samples (signed)
}

// NewDriftTracker starts tracking at call position pos (where the mapping
// was anchored).
func NewDriftTracker(pos int64) DriftTracker { return DriftTracker{end: pos + DriftWindow} }

// Observe takes a packet's excess (arrival − its mapped position) at
// arrival and returns how far to move the mapping now: -1, 0 or 1. The
// caller leaves out timestamp jumps (they re-anchor the mapping instead).
func (d *DriftTracker) Observe(excess, arrival int64) int64 {
	if e := excess - d.pending; !d.seen || e < d.min {
		d.min, d.seen = e, true
	}
	if arrival >= d.end {
		m := d.min
		d.seen, d.end = false, arrival+DriftWindow
		if (m > DriftThreshold && d.lastExcess > DriftThreshold) || (m < -DriftThreshold && d.lastExcess < -DriftThreshold) {
			move := m
			if abs(d.lastExcess) < abs(m) {
				move = d.lastExcess
			}
			d.pending += move
			m -= move
		}
		d.lastExcess = m
	}
	step := max(-1, min(1, d.pending))
	d.pending -= step
	return step
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
