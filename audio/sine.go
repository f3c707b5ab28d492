package audio

import "math"

// Sine returns n samples of a sine at freq Hz and amplitude amp (relative to
// full scale), sampled at rate, starting at phase 0.
func Sine(freq, amp float64, rate, n int) []int16 {
	out := make([]int16, n)
	step := 2 * math.Pi * freq / float64(rate)
	for i := range out {
		out[i] = FloatToInt16(amp * math.Sin(step*float64(i)))
	}
	return out
}

// FloatToInt16 converts a sample in [-1, 1] to int16, saturating outside it.
func FloatToInt16(f float64) int16 {
	v := math.Round(f * 32768)
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}
