package audio

import "math"

// TonePower returns the power of frequency freq (Hz) in x, sampled at rate,
// by the Goertzel algorithm. It is normalised by len(x)², so a full-scale
// sine at freq gives about 0.25 whatever the length.
func TonePower(x []int16, rate int, freq float64) float64 {
	if len(x) == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, v := range x {
		s0 := float64(v)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	n := float64(len(x))
	return power / (n * n)
}

// DetectTone returns, among candidates, the frequency with the most power in
// x, and how many times stronger it is than the runner-up (+Inf when the
// runner-up has none). With one candidate the ratio is +Inf.
func DetectTone(x []int16, rate int, candidates []float64) (freq, ratio float64) {
	best, second := -1.0, 0.0
	for _, f := range candidates {
		p := TonePower(x, rate, f)
		switch {
		case p > best:
			second, best, freq = math.Max(best, 0), p, f
		case p > second:
			second = p
		}
	}
	if second == 0 {
		return freq, math.Inf(1)
	}
	return freq, best / second
}

// CommonTones are the frequencies callrec's tests listen for.
var CommonTones = []float64{300, 440, 550, 660, 880, 1000, 1500}
