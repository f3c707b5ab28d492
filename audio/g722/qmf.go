package g722

// qmf is the 24-tap quadrature mirror filter history, shared in form by the
// transmit side (splitting two 16 kHz samples into a low-band and a
// high-band sample) and the receive side (merging them back). The newest
// pair is at the end.
type qmf struct {
	x [24]int32
}

// push appends a pair of inputs, dropping the oldest pair, and returns the
// filter's two outputs: even weighs the even-indexed history by h(0)…h(11),
// odd the odd-indexed history by h(11)…h(0).
func (q *qmf) push(first, second int32) (odd, even int32) {
	copy(q.x[:22], q.x[2:])
	q.x[22], q.x[23] = first, second
	for i, h := range qmfCoeffs {
		even += q.x[2*i] * h
		odd += q.x[2*i+1] * qmfCoeffs[11-i]
	}
	return odd, even
}

// split is the transmit QMF: two input samples in, the low-band and
// high-band samples out.
func (q *qmf) split(first, second int16) (xl, xh int32) {
	odd, even := q.push(int32(first), int32(second))
	return (odd + even) >> 14, (odd - even) >> 14
}

// merge is the receive QMF: the reconstructed low-band and high-band
// samples in, two output samples out.
func (q *qmf) merge(rl, rh int32) (first, second int16) {
	odd, even := q.push(rl+rh, rl-rh)
	return int16(sat16(odd >> 11)), int16(sat16(even >> 11))
}
