// Package mix sums and interleaves 16-bit PCM with saturation.
//
// Sources are accumulated in int32, so the sum of any number of sources up to
// 65 536 is exact and independent of the order they arrive in; clamping to
// the int16 range happens once, when the sum is stored (Saturate). A loud sum
// therefore clips at ±32767/−32768 and never wraps around.
package mix

import "math"

// Add adds src into acc sample by sample; len(acc) must be at least len(src).
func Add(acc []int32, src []int16) {
	acc = acc[:len(src)]
	for i, s := range src {
		acc[i] += int32(s)
	}
}

// Clamp saturates one accumulated sample to the int16 range.
func Clamp(v int32) int16 {
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

// Saturate stores acc into dst with saturation; len(dst) must be at least
// len(acc).
func Saturate(dst []int16, acc []int32) {
	dst = dst[:len(acc)]
	for i, v := range acc {
		dst[i] = Clamp(v)
	}
}

// AddSaturating adds src into dst in place, clipping each sum: a mixer for
// two streams without an accumulator. For more than two, use Add and Saturate
// so that the result does not depend on the order of the sources.
func AddSaturating(dst, src []int16) {
	dst = dst[:len(src)]
	for i, s := range src {
		dst[i] = Clamp(int32(dst[i]) + int32(s))
	}
}

// Interleave writes n frames of the accumulated channels into dst as
// interleaved samples (frame by frame), saturating each; dst must hold
// n*len(channels) samples.
func Interleave(dst []int16, channels [][]int32, n int) {
	nc := len(channels)
	if nc == 1 {
		Saturate(dst[:n], channels[0][:n])
		return
	}
	dst = dst[:n*nc]
	for c, ch := range channels {
		ch = ch[:n]
		for i, v := range ch {
			dst[i*nc+c] = Clamp(v)
		}
	}
}
