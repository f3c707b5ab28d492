package g722

// Decoder decodes one G.722 stream (64 kbit/s) to 16 kHz samples.
type Decoder struct {
	codec
}

// NewDecoder returns a decoder in the recommendation's reset state.
func NewDecoder() *Decoder {
	d := &Decoder{}
	d.Reset()
	return d
}

// Decode decodes the bytes of src, two samples each, into dst and returns
// how many samples it wrote: 2·min(len(src), len(dst)/2). Any byte is a
// valid code, so Decode cannot fail.
func (d *Decoder) Decode(dst []int16, src []byte) int {
	n := min(len(src), len(dst)/2)
	dst, src = dst[:2*n], src[:n]
	for i, c := range src {
		dst[2*i], dst[2*i+1] = d.decode(c)
	}
	return 2 * n
}

// decode decodes one byte: the high band's 2-bit code above the low band's
// 6-bit code.
func (d *Decoder) decode(c byte) (first, second int16) {
	il, ih := int(c&63), int(c>>6)

	// Low band: reconstruct with the 6-bit inverse quantiser (INVQBL,
	// RECONS, LIMIT), adapt with the 4-bit one (INVQAL).
	rl := clamp(add(d.low.s, mult(d.low.det, qm6[il])), -16384, 16383)
	dl := mult(d.low.det, qm4[il>>2])
	d.low.scaleLow(il >> 2)
	d.low.adapt(dl)

	// High band (INVQAH, RECONS, LIMIT).
	dh := mult(d.high.det, qm2[ih])
	rh := clamp(add(d.high.s, dh), -16384, 16383)
	d.high.scaleHigh(ih)
	d.high.adapt(dh)

	return d.qmf.merge(rl, rh)
}
