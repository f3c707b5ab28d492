package sip

import (
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/audio/g722"
	"github.com/callrec/callrec/audio/resample"
)

// maxPayload is the largest audio payload a leg decodes: 200 ms of G.711
// or G.722 (one byte per 8 kHz tick). Longer packets are refused.
const maxPayload = 1600

// decoder turns one leg's audio payloads into 16 kHz samples: G.711 is
// expanded and upsampled from 8 kHz, G.722 is 16 kHz already (a payload
// byte is one tick of the 8000 Hz RTP clock and two samples out), and
// Opus decodes straight to 16 kHz with the decoder of WebRTC participants
// (package audio), whose concealment and in-band FEC also fill its losses.
type decoder struct {
	codec codec
	g722  *g722.Decoder
	opus  *audio.OpusDecoder // made when a leg first uses Opus
	up    *resample.Upsampler
	pcm8  []int16
}

func newDecoder() *decoder {
	return &decoder{g722: g722.NewDecoder(), up: resample.NewUpsampler(), pcm8: make([]int16, maxPayload)}
}

// use switches to c. Between the two G.711 laws the upsampler's history
// carries on (both are 8 kHz, and stateless themselves); to or from G.722
// or Opus the state is forgotten.
func (d *decoder) use(c codec) {
	if c == d.codec {
		return
	}
	if c == codecG722 || d.codec == codecG722 || c == codecOpus || d.codec == codecOpus {
		d.reset()
	}
	d.codec = c
}

// reset forgets the stream's state, as for a new stream.
func (d *decoder) reset() {
	d.g722.Reset()
	d.up.Reset()
	if d.opus != nil {
		d.opus.Reset()
	}
}

// decode writes the payload's samples at 16 kHz to dst (which holds
// maxDecodedLen) and returns them; false for an Opus packet that does
// not decode (counted lost). G.711 and G.722 give 2×len(payload) samples.
func (d *decoder) decode(dst []int16, payload []byte) ([]int16, bool) {
	n := len(payload)
	switch d.codec {
	case codecOpus:
		if d.opus == nil {
			dec, err := audio.NewOpusDecoder()
			if err != nil {
				return nil, false
			}
			d.opus = dec
		}
		k, err := d.opus.Decode(payload, dst)
		if err != nil {
			return nil, false
		}
		return dst[:k], true
	case codecG722:
		return dst[:d.g722.Decode(dst, payload)], true
	case codecPCMA:
		g711.PCMA.Decode(d.pcm8, payload)
	default:
		g711.PCMU.Decode(d.pcm8, payload)
	}
	return dst[:d.up.Process(dst, d.pcm8[:n])], true
}

// conceal fills dst for a lost packet from the codec's own state: Opus
// concealment, or Opus FEC from next (the packet right after the lost
// one) when it carries some. It returns false when the codec has none
// (G.711, G.722: the stream's audio/plc conceals) or it failed.
func (d *decoder) conceal(dst []int16, next []byte) (ok, fromFEC bool) {
	if d.codec != codecOpus || d.opus == nil {
		return false, false
	}
	var n int
	var err error
	if next != nil {
		n, fromFEC, err = d.opus.Recover(next, dst)
	} else {
		n, err = d.opus.Conceal(dst)
	}
	return err == nil && n == len(dst), fromFEC
}
