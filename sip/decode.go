package sip

import (
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/audio/g722"
	"github.com/callrec/callrec/audio/resample"
)

// maxPayload is the largest audio payload a leg decodes: 200 ms of G.711
// or G.722 (one byte per 8 kHz tick). Longer packets are refused.
const maxPayload = 1600

// decoder turns one leg's audio payloads into 16 kHz samples: G.711 is
// expanded and upsampled from 8 kHz, G.722 is 16 kHz already. Either way a
// payload byte is one tick of the 8000 Hz RTP clock and two samples out.
type decoder struct {
	codec codec
	g722  *g722.Decoder
	up    *resample.Upsampler
	pcm8  []int16
}

func newDecoder() *decoder {
	return &decoder{g722: g722.NewDecoder(), up: resample.NewUpsampler(), pcm8: make([]int16, maxPayload)}
}

// use switches to c. Between the two G.711 laws the upsampler's history
// carries on (both are 8 kHz, and stateless themselves); to or from G.722
// the state is forgotten.
func (d *decoder) use(c codec) {
	if c == d.codec {
		return
	}
	if c == codecG722 || d.codec == codecG722 {
		d.reset()
	}
	d.codec = c
}

// reset forgets the stream's state, as for a new stream.
func (d *decoder) reset() {
	d.g722.Reset()
	d.up.Reset()
}

// decode writes 2×len(payload) samples at 16 kHz to dst and returns them.
func (d *decoder) decode(dst []int16, payload []byte) []int16 {
	n := len(payload)
	switch d.codec {
	case codecG722:
		return dst[:d.g722.Decode(dst, payload)]
	case codecPCMA:
		g711.PCMA.Decode(d.pcm8, payload)
	default:
		g711.PCMU.Decode(d.pcm8, payload)
	}
	return dst[:d.up.Process(dst, d.pcm8[:n])]
}
