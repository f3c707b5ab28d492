package cn

import "math"

// Generator makes white noise at a comfort-noise level.
type Generator struct {
	state uint64  // xorshift state, never zero
	scale float64 // amplitude of a uniform sample, in sample units
}

// NewGenerator returns a Generator for the level in −dBov, seeded with seed
// (use a different seed per stream so that legs do not correlate).
func NewGenerator(level uint8, seed uint64) *Generator {
	g := &Generator{state: seed | 1}
	g.SetLevel(level)
	return g
}

// SetLevel changes the noise level (−dBov, 0…127), as a new comfort-noise
// packet does. White noise louder than about −2.5 dBov would exceed full
// scale; it is clipped (real comfort noise is some 30 to 80 dB quieter).
func (g *Generator) SetLevel(level uint8) {
	// 0 dBov is a full-scale sine: RMS 32767/√2. White noise uniform on
	// [−a, a] has RMS a/√3.
	rms := 32767 / math.Sqrt2 * math.Pow(10, -float64(level&0x7f)/20)
	g.scale = rms * math.Sqrt(3)
}

// Fill writes noise into dst.
func (g *Generator) Fill(dst []int16) {
	s, a := g.state, g.scale
	for i := range dst {
		// xorshift64*: fast and good enough for noise.
		s ^= s >> 12
		s ^= s << 25
		s ^= s >> 27
		u := float64((s*2685821657736338717)>>11) / (1 << 53) // [0, 1)
		v := math.Round((2*u - 1) * a)
		dst[i] = int16(min(max(v, math.MinInt16), math.MaxInt16))
	}
	g.state = s
}
