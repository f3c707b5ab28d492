package ingest

import (
	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
)

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
	// drift: the moves that follow the sender's clock once fixed.
	drift       callmedia.DriftTracker
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
	c.drift = callmedia.NewDriftTracker(pos)
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
	step := c.drift.Observe(excess, arrival)
	c.offset += step
	c.corrections += step
	return step
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
