package g722

// Encoder encodes 16 kHz samples to one G.722 stream (64 kbit/s).
type Encoder struct {
	codec
}

// NewEncoder returns an encoder in the recommendation's reset state.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.Reset()
	return e
}

// Encode encodes pairs of samples from src, one byte per pair, into dst and
// returns how many bytes it wrote: min(len(src)/2, len(dst)). An odd last
// sample is not encoded; keep frames even (a 20 ms frame is 320 samples).
func (e *Encoder) Encode(dst []byte, src []int16) int {
	n := min(len(src)/2, len(dst))
	dst, src = dst[:n], src[:2*n]
	for i := range dst {
		dst[i] = e.encode(src[2*i], src[2*i+1])
	}
	return n
}

// encode encodes one pair of samples.
func (e *Encoder) encode(first, second int16) byte {
	xl, xh := e.qmf.split(first, second)

	il := quantLow(sat16(xl-e.low.s), e.low.det)
	dl := mult(e.low.det, qm4[il>>2])
	e.low.scaleLow(il >> 2)
	e.low.adapt(dl)

	ih := quantHigh(sat16(xh-e.high.s), e.high.det)
	dh := mult(e.high.det, qm2[ih])
	e.high.scaleHigh(ih)
	e.high.adapt(dh)

	return byte(ih<<6 | il)
}

// quantLow is the low band's 6-bit quantiser (QUANTL): the magnitude of the
// prediction error el (ones' complement for negative values) against the
// decision levels scaled by the step size, then the code for its interval
// and sign.
func quantLow(el, det int32) int {
	wd := el
	if el < 0 {
		wd = ^el
	}
	m := 1
	for m < 30 && wd >= (q6[m]*det)>>12 {
		m++
	}
	switch {
	case el >= 0:
		return 62 - m // 61 … 32
	case m <= 2:
		return 64 - m // 63, 62: the two smallest negative intervals
	default:
		return 34 - m // 31 … 4
	}
}

// quantHigh is the high band's 2-bit quantiser (QUANTH): one decision level,
// 564/4096 of the step size.
func quantHigh(eh, det int32) int {
	wd := eh
	if eh < 0 {
		wd = ^eh
	}
	large := wd >= (564*det)>>12
	switch {
	case eh >= 0 && large:
		return 2
	case eh >= 0:
		return 3
	case large:
		return 0
	}
	return 1
}
