package g722

// band is one sub-band's adaptive state, shared by the encoder and the
// decoder: the predictor (two poles, six zeros) and the quantiser's step
// size. Both sides update it from the quantised difference only, so they
// stay in step.
type band struct {
	s  int32 // predicted signal for the next sample (PREDIC)
	sz int32 // its zero (moving average) part (FILTEZ)

	r1, r2 int32    // reconstructed signal, one and two samples back
	p1, p2 int32    // partially reconstructed signal (sz + dq), one and two back
	a1, a2 int32    // pole coefficients
	b      [6]int32 // zero coefficients
	d2     [6]int32 // quantised differences, one to six samples back, doubled (saturated) as FILTEZ weighs them

	nb  int32 // log step size (LOGSCL/LOGSCH)
	det int32 // step size (SCALEL/SCALEH)
}

// The step size starts at its least value: 32 in the low band, 8 in the high
// band (nb = 0).
func (b *band) reset(det int32) { *b = band{det: det} }

const (
	lowDet0  = 32
	highDet0 = 8
)

// scaleLow adapts the low band's step size to the 4-bit code il4 (LOGSCL,
// then SCALEL).
func (b *band) scaleLow(il4 int) {
	b.nb = clamp(mult(b.nb, 32512)+wl[rl42[il4]], 0, 18432)
	b.det = b.stepSize(8)
}

// scaleHigh adapts the high band's step size to the 2-bit code ih (LOGSCH,
// then SCALEH).
func (b *band) scaleHigh(ih int) {
	b.nb = clamp(mult(b.nb, 32512)+wh[rh2[ih]], 0, 22528)
	b.det = b.stepSize(10)
}

// stepSize converts the log step size to a linear one: the antilog of its
// fraction, shifted by its integer part less offset, times four.
func (b *band) stepSize(offset int32) int32 {
	m := ilb[(b.nb>>6)&31]
	if sh := offset - b.nb>>11; sh >= 0 {
		m >>= sh
	} else {
		m <<= -sh
	}
	return m << 2
}

// adapt updates the predictor with the quantised difference dq and computes
// the prediction for the next sample (the recommendation's block 4:
// RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC).
func (b *band) adapt(dq int32) {
	r := add(b.s, dq)  // RECONS: reconstructed signal
	p := add(b.sz, dq) // PARREC: partially reconstructed signal
	pNeg := negative(p)

	// UPPOL2: the second pole coefficient leaks toward zero and is pushed
	// by the sign agreement of p with its last two values.
	wd := sat16(b.a1 << 2)
	if pNeg == negative(b.p1) {
		wd = -wd
	}
	wd = min(wd, 32767)
	push := int32(-128)
	if pNeg == negative(b.p2) {
		push = 128
	}
	a2 := clamp(push+wd>>7+(b.a2*32512)>>15, -12288, 12288)

	// UPPOL1: the first pole coefficient, kept inside the stability
	// triangle of the second.
	push = -192
	if pNeg == negative(b.p1) {
		push = 192
	}
	limit := sat16(15360 - a2)
	a1 := clamp(add(push, (b.a1*32640)>>15), -limit, limit)

	// UPZERO: each zero coefficient leaks and is pushed by the sign
	// agreement of dq with the difference it weighs (not at all when dq
	// is zero).
	var step int32
	if dq != 0 {
		step = 128
	}
	dqNeg := negative(dq)
	for i, di := range b.d2 {
		w := step
		if negative(di) != dqNeg { // doubling keeps the sign
			w = -step
		}
		b.b[i] = add(w, (b.b[i]*32640)>>15)
	}

	// DELAYA
	copy(b.d2[1:], b.d2[:5])
	b.d2[0] = add(dq, dq)
	b.r2, b.r1 = b.r1, r
	b.p2, b.p1 = b.p1, p
	b.a1, b.a2 = a1, a2

	// FILTEP: the pole part of the prediction.
	sp := add(mult(b.a1, add(b.r1, b.r1)), mult(b.a2, add(b.r2, b.r2)))
	// FILTEZ: the zero part.
	var sz int32
	for i := 5; i >= 0; i-- {
		sz = add(sz, mult(b.b[i], b.d2[i]))
	}
	b.sz = sz
	b.s = add(sp, sz) // PREDIC
}
