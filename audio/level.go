package audio

import "math"

// RMS returns the root mean square of x relative to full scale (1.0 for a
// full-scale square wave, about 0.707 for a full-scale sine).
func RMS(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var sum float64
	for _, v := range x {
		f := float64(v) / 32768
		sum += f * f
	}
	return math.Sqrt(sum / float64(len(x)))
}

// DBFS converts an RMS level to decibels relative to full scale. Silence is
// -Inf.
func DBFS(rms float64) float64 {
	if rms <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(rms)
}

// Peak returns the largest absolute sample value relative to full scale.
func Peak(x []int16) float64 {
	var m int
	for _, v := range x {
		a := int(v)
		if a < 0 {
			a = -a
		}
		m = max(m, a)
	}
	return float64(m) / 32768
}

// FirstAbove returns the index of the first sample whose absolute value
// reaches threshold (relative to full scale), or -1 if none does.
func FirstAbove(x []int16, threshold float64) int {
	t := int(threshold * 32768)
	for i, v := range x {
		a := int(v)
		if a < 0 {
			a = -a
		}
		if a >= t {
			return i
		}
	}
	return -1
}

// SNR returns, in dB, the power of want over the power of the difference
// got−want, over their common length: how closely got reproduces want.
// Identical signals give +Inf.
func SNR(want, got []int16) float64 {
	var sig, noise float64
	for i := range min(len(want), len(got)) {
		d := float64(want[i]) - float64(got[i])
		sig += float64(want[i]) * float64(want[i])
		noise += d * d
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}
