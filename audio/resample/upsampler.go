package resample

// Delay is the Upsampler's delay, in output (16 kHz) samples: half the
// filter's length.
const Delay = 2*half - 1

// history is how many input samples the Upsampler keeps between calls.
const history = 2*half - 1

// block is how many input samples it converts at a time.
const block = 256

// Upsampler doubles the sample rate of one stream (8 kHz → 16 kHz).
type Upsampler struct {
	// buf holds the last history inputs, then the block being converted.
	buf [history + block]float32
}

// NewUpsampler returns an Upsampler whose history is silence.
func NewUpsampler() *Upsampler { return &Upsampler{} }

// Reset forgets the stream's history, as at its start.
func (u *Upsampler) Reset() { *u = Upsampler{} }

// Process resamples src into dst, two output samples per input sample, and
// returns how many it wrote: 2·min(len(src), len(dst)/2). The output lags
// the input by Delay samples; the first Delay come from the history.
func (u *Upsampler) Process(dst, src []int16) int {
	n := min(len(src), len(dst)/2)
	for done := 0; done < n; {
		c := min(block, n-done)
		in := u.buf[history : history+c]
		for i, v := range src[done : done+c] {
			in[i] = float32(v)
		}
		out := dst[2*done : 2*(done+c)]
		for i := range c {
			x := (*[2 * half]float32)(u.buf[i : i+2*half])
			var acc float32
			for j := range half {
				acc += halfband[j] * (x[j] + x[2*half-1-j])
			}
			out[2*i] = toInt16(acc)
			out[2*i+1] = int16(x[half])
		}
		copy(u.buf[:history], u.buf[c:c+history])
		done += c
	}
	return 2 * n
}

// toInt16 rounds to the nearest sample value, saturating (the filter's
// ripple can overshoot full scale by a little).
func toInt16(f float32) int16 {
	switch {
	case f >= 32767:
		return 32767
	case f <= -32768:
		return -32768
	case f < 0:
		return int16(f - 0.5)
	}
	return int16(f + 0.5)
}
