//go:build !cgo

package audio

// softClipper bends the samples of a float stream that pass full scale
// back inside [-1, 1] with a smooth curve instead of flattening them: the
// non-linearity of libopus's opus_pcm_soft_clip (BSD-3, Xiph.Org), applied
// from each clipped sample's previous zero crossing to its next, and
// continued into the next frame when a frame ends inside a clipped
// half-wave. Opus can decode a loud input to slightly more than full scale;
// libopus's 16-bit API does this, and so does OpusDecoder's conversion.
type softClipper struct {
	// mem is the curve of the half-wave the previous frame ended in (0:
	// it ended unclipped).
	mem float32
}

// inUnitRange reports whether every sample of x is within [-1, 1].
func inUnitRange(x []float32) bool {
	for _, v := range x {
		if v > 1 || v < -1 {
			return false
		}
	}
	return true
}

// apply clips x in place.
func (c *softClipper) apply(x []float32) {
	n := len(x)
	if n == 0 {
		return
	}
	// The curve holds up to twice full scale: saturate beyond it.
	for i, v := range x {
		x[i] = max(-2, min(2, v))
	}
	a := c.mem
	// Finish the previous frame's half-wave with its curve.
	for i := 0; i < n && x[i]*a < 0; i++ {
		x[i] += a * x[i] * x[i]
	}
	x0 := x[0]
	for curr := 0; ; {
		i := curr
		for i < n && x[i] <= 1 && x[i] >= -1 {
			i++
		}
		if i == n {
			a = 0
			break
		}
		// The half-wave around the clipped sample, and its peak.
		peakVal, peak := abs32(x[i]), i
		start, end := i, i
		for start > 0 && x[i]*x[start-1] >= 0 {
			start--
		}
		for end < n && x[i]*x[end] >= 0 {
			if v := abs32(x[end]); v > peakVal {
				peakVal, peak = v, end
			}
			end++
		}
		// The half-wave began in the previous frame.
		continued := start == 0 && x[i]*x[0] >= 0
		// x + a·x² maps the peak to exactly ±1.
		a = (peakVal - 1) / (peakVal * peakVal)
		a += a * 2.4e-7
		if x[i] > 0 {
			a = -a
		}
		for j := start; j < end; j++ {
			x[j] += a * x[j] * x[j]
		}
		if continued && peak >= 2 {
			// Ramp from the frame's first sample as it was, so that the
			// curve starting here makes no step at the frame's start.
			offset := x0 - x[0]
			delta := offset / float32(peak)
			for j := curr; j < peak; j++ {
				offset -= delta
				x[j] = max(-1, min(1, x[j]+offset))
			}
		}
		curr = end
		if curr == n {
			break
		}
	}
	c.mem = a
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
