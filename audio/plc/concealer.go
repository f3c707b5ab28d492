package plc

import "math"

// Concealer conceals lost frames of one stream.
type Concealer struct {
	rate int // samples per second

	hist   []int16 // the last good audio, newest last; len fixed at construction
	filled int     // how much of hist is real audio (the rest is leading silence)

	lost   int     // samples made up in the current gap; 0 outside a gap
	period int     // pitch period of the current gap, in samples
	blend  []int16 // scratch for the made-up continuation when a gap ends
}

// New returns a Concealer for audio at rate samples per second (8000 for
// G.711, 16000 for G.722 and callrec's timeline; rates below 1000 are
// taken as 1000).
func New(rate int) *Concealer {
	c := &Concealer{rate: max(rate, 1000)}
	c.hist = make([]int16, c.ms(50))
	c.blend = make([]int16, c.ms(10))
	return c
}

// ms converts milliseconds to samples at the Concealer's rate.
func (c *Concealer) ms(ms int) int { return c.rate * ms / 1000 }

// Reset forgets the stream, as at its start.
func (c *Concealer) Reset() {
	clear(c.hist)
	c.filled, c.lost = 0, 0
}

// Good takes a frame that arrived and was decoded. Right after a gap it
// blends the start of frame, in place, with the continuation of the
// made-up signal (over 4 ms, plus 4 ms for each further 10 ms of the gap, at
// most 10 ms), so that the resumption does not click; otherwise frame is
// left as it is. Either way it becomes the history that a later gap
// repeats.
func (c *Concealer) Good(frame []int16) {
	if c.lost > 0 {
		n := min(c.ms(4)+c.ms(4)*(c.lost/c.ms(10)), c.ms(10), len(frame))
		synth := c.blend[:n]
		c.synthesize(synth)
		for i := range synth {
			w := float32(i+1) / float32(n+1)
			frame[i] = int16((1-w)*float32(synth[i]) + w*float32(frame[i]))
		}
		c.lost = 0
	}
	c.remember(frame)
}

// Conceal fills dst with made-up audio for a lost frame.
func (c *Concealer) Conceal(dst []int16) {
	if c.lost == 0 {
		c.period = c.pitch()
	}
	c.synthesize(dst)
}

// remember appends frame to the history.
func (c *Concealer) remember(frame []int16) {
	if len(frame) >= len(c.hist) {
		copy(c.hist, frame[len(frame)-len(c.hist):])
	} else {
		copy(c.hist, c.hist[len(frame):])
		copy(c.hist[len(c.hist)-len(frame):], frame)
	}
	c.filled = min(c.filled+len(frame), len(c.hist))
}

// synthesize continues the gap into dst and advances it.
func (c *Concealer) synthesize(dst []int16) {
	if c.period == 0 { // too little history to repeat: silence
		clear(dst)
		c.lost += len(dst)
		return
	}
	ten := c.ms(10)
	fade := c.ms(1) * 2 // the cross-fade where the number of periods changes
	for i := range dst {
		k := c.lost + i
		v := c.repeat(k, c.periods(k))
		if prev := c.periods(k - fade); prev != c.periods(k) && k >= fade {
			// Within fade samples after a change: blend from the old
			// repetition to the new.
			w := float32(k-(k/ten)*ten+1) / float32(fade+1)
			v = (1-w)*c.repeat(k, prev) + w*v
		}
		gain := float32(1)
		if k >= ten {
			gain = max(0, 1-0.2*float32(k-ten)/float32(ten))
		}
		dst[i] = int16(max(-32768, min(32767, gain*v)))
	}
	c.lost += len(dst)
}

// periods returns how many of the last pitch periods are repeated k samples
// into the gap: one for the first 10 ms, two until 20 ms, then three.
func (c *Concealer) periods(k int) int {
	return min(1+max(k, 0)/c.ms(10), 3)
}

// repeat returns sample k of the gap when the last m periods of the
// history are repeated.
func (c *Concealer) repeat(k, m int) float32 {
	span := m * c.period
	n := len(c.hist)
	return float32(c.hist[n-span+k%span])
}

// pitch estimates the pitch period of the end of the history: the lag,
// between 5 and 15 ms, at which the last 20 ms best match the audio before
// them (normalised cross-correlation). It returns 0 when the history is
// too short to tell, and the longest lag for silence.
func (c *Concealer) pitch() int {
	lo, hi, win := c.ms(5), c.ms(15), c.ms(20)
	if c.filled < 3*hi { // three periods must be there to repeat
		return 0
	}
	n := len(c.hist)
	target := c.hist[n-win:]
	best, bestLag := math.Inf(-1), hi
	for lag := lo; lag <= hi; lag++ {
		past := c.hist[n-win-lag : n-lag]
		var dot, energy float64
		for i, v := range target {
			p := float64(past[i])
			dot += float64(v) * p
			energy += p * p
		}
		if energy == 0 {
			continue
		}
		if score := dot / math.Sqrt(energy); score > best {
			best, bestLag = score, lag
		}
	}
	return bestLag
}
