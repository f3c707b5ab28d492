package ingest

import "github.com/callrec/callrec"

// seqUnwrapper extends 16-bit RTP sequence numbers to a monotonic int64 line,
// across wrap-around and reordering.
type seqUnwrapper struct {
	started bool
	highest int64
}

func (u *seqUnwrapper) unwrap(seq uint16) int64 {
	if !u.started {
		u.started, u.highest = true, int64(seq)
		return u.highest
	}
	v := u.highest + int64(int16(seq-uint16(u.highest)))
	u.highest = max(u.highest, v)
	return v
}

// tsUnwrapper extends 32-bit RTP timestamps the same way.
type tsUnwrapper struct {
	started bool
	highest int64
}

func (u *tsUnwrapper) unwrap(ts uint32) int64 {
	if !u.started {
		u.started, u.highest = true, int64(ts)
		return u.highest
	}
	v := u.highest + int64(int32(ts-uint32(u.highest)))
	u.highest = max(u.highest, v)
	return v
}

// Drift tracking: the sender's sample clock and ours run at slightly
// different rates (tens to hundreds of ppm: up to ~0.4 s an hour). Every
// driftWindow the clock measures how much later than its mapping the
// least-delayed packet arrived; when that excess keeps the same sign beyond
// driftThreshold over two windows, the mapping is to move by the smaller
// excess. It moves by at most driftStep samples per packet: a whole move at
// once would cut or insert milliseconds of audio (a click), while one
// sample per 20 ms packet is inaudible and still follows 3000 ppm.
const (
	driftWindow    = 2 * callrec.SampleRate // samples of call clock
	driftThreshold = callrec.SampleRate / 1000
	driftStep      = 1
)

// rtpClock maps one RTP stream's (unwrapped) timestamps to call-clock
// positions: position(ts) = offset + (ts - ts0) × SampleRate / rtpRate.
// offset is the smallest observed (arrival − RTP time), i.e. the mapping
// that puts the least-delayed packet exactly at its arrival.
type rtpClock struct {
	rtpRate  int64
	anchored bool
	ts0      int64
	offset   int64
	// settling: until fix() the offset follows the minimum.
	fixed bool
	// drift window state
	windowEnd   int64
	windowMin   int64
	windowSeen  bool
	lastExcess  int64
	pending     int64 // decided move not applied yet (signed samples)
	corrections int64 // total samples the mapping moved (signed)
}

func newRTPClock(rtpRate int) rtpClock { return rtpClock{rtpRate: int64(rtpRate)} }

// rel converts an RTP time difference to samples at the call rate (floor).
func (c *rtpClock) rel(ts int64) int64 {
	d := (ts - c.ts0) * callrec.SampleRate
	if d >= 0 {
		return d / c.rtpRate
	}
	return -((-d + c.rtpRate - 1) / c.rtpRate)
}

// position maps an unwrapped RTP timestamp to the call clock.
func (c *rtpClock) position(ts int64) int64 { return c.offset + c.rel(ts) }

// anchor starts (or restarts) the mapping so that ts sits at pos.
func (c *rtpClock) anchor(ts, pos int64) {
	c.anchored, c.ts0, c.offset = true, ts, pos
	c.windowSeen, c.lastExcess, c.pending = false, 0, 0
	c.windowEnd = pos + driftWindow
}

// fix ends settling: from now on only drift correction moves the offset.
func (c *rtpClock) fix() { c.fixed = true }

// observe records that the packet with timestamp ts arrived at call
// position arrival, and returns how far the mapping moved (samples; positive
// means later).
func (c *rtpClock) observe(ts, arrival int64) int64 {
	if !c.anchored {
		c.anchor(ts, arrival)
		return 0
	}
	excess := arrival - c.position(ts)
	if abs64(excess) > maxAhead {
		// A timestamp jump, not timing: the pipeline re-anchors on it.
		return 0
	}
	if !c.fixed {
		if excess < 0 {
			c.offset += excess
		}
		return 0
	}
	// Excess as if the pending move were done: a window's minimum does not
	// depend on how far the move has got.
	if e := excess - c.pending; !c.windowSeen || e < c.windowMin {
		c.windowMin, c.windowSeen = e, true
	}
	if arrival >= c.windowEnd {
		m := c.windowMin
		c.windowSeen, c.windowEnd = false, arrival+driftWindow
		if (m > driftThreshold && c.lastExcess > driftThreshold) || (m < -driftThreshold && c.lastExcess < -driftThreshold) {
			move := m
			if abs64(c.lastExcess) < abs64(m) {
				move = c.lastExcess
			}
			c.pending += move
			m -= move
		}
		c.lastExcess = m
	}
	step := max(-driftStep, min(driftStep, c.pending))
	c.offset += step
	c.pending -= step
	c.corrections += step
	return step
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
