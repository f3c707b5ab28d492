package resample

import "math"

// half is the number of non-zero taps on each side of the half-band filter's
// centre; the filter is 4·half−1 taps long.
const half = 16

// kaiserBeta sets the Kaiser window's trade-off: about 70 dB of stopband
// attenuation.
const kaiserBeta = 6.8

// halfband holds the interpolating phase of the 2× half-band filter:
// coeffs[j] weighs the input sample j places after the oldest of the 2·half
// it spans (the filter is symmetric, so coeffs[j] = coeffs[2·half−1−j]).
// The other phase is the single centre tap, 1.
var halfband = designHalfband()

// designHalfband designs the windowed-sinc half-band low-pass at a quarter
// of the output rate, with a gain of 2 (the gain interpolation needs), and
// returns its odd-offset taps, normalised so that they sum to exactly 1 (DC
// passes unchanged in both phases).
func designHalfband() [2 * half]float32 {
	var c [2 * half]float64
	var sum float64
	m := float64(2 * half) // the window reaches zero one tap beyond the ends
	for j := range c {
		n := float64(2*j - (2*half - 1)) // odd offset from the centre
		x := math.Pi * n / 2
		w := bessel0(kaiserBeta*math.Sqrt(1-(n/m)*(n/m))) / bessel0(kaiserBeta)
		c[j] = math.Sin(x) / x * w
		sum += c[j]
	}
	var out [2 * half]float32
	for j := range c {
		out[j] = float32(c[j] / sum)
	}
	return out
}

// bessel0 is the modified Bessel function of the first kind, order 0, by its
// power series.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; term > 1e-12*sum; k++ {
		f := x / (2 * float64(k))
		term *= f * f
		sum += term
	}
	return sum
}
