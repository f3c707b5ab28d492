package g722

// codec is the state an Encoder and a Decoder each keep: both bands and the
// QMF history.
type codec struct {
	low, high band
	qmf       qmf
}

// Reset returns the coder to the recommendation's reset state, as at the
// start of a stream.
func (c *codec) Reset() {
	c.low.reset(lowDet0)
	c.high.reset(highDet0)
	c.qmf = qmf{}
}
