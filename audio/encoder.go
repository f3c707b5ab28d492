package audio

import (
	"fmt"

	"github.com/thesyncim/gopus"
)

// OpusEncoder encodes mono 16-bit PCM into 20 ms Opus packets with the
// pure-Go gopus encoder, configured like a WebRTC voice sender (VoIP
// application). The input rate is one of Opus's: 8, 12, 16, 24 or 48 kHz.
type OpusEncoder struct {
	enc   *gopus.Encoder
	frame int // samples per 20 ms at the input rate
	buf   []byte
}

// NewOpusEncoder returns an encoder for mono input at rate, aiming at
// bitrate bits per second.
func NewOpusEncoder(rate, bitrate int) (*OpusEncoder, error) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: rate, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		return nil, fmt.Errorf("opus encoder at %d Hz: %w", rate, err)
	}
	if err := enc.SetBitrate(bitrate); err != nil {
		return nil, fmt.Errorf("opus encoder bitrate %d: %w", bitrate, err)
	}
	return &OpusEncoder{enc: enc, frame: rate / 50, buf: make([]byte, 4000)}, nil
}

// EnableFEC makes the encoder add in-band forward error correction (LBRR)
// sized for the expected loss, in percent, as WebRTC senders do when their
// receivers report loss.
func (e *OpusEncoder) EnableFEC(expectedLossPercent int) error {
	e.enc.SetFEC(true)
	if err := e.enc.SetPacketLoss(expectedLossPercent); err != nil {
		return fmt.Errorf("opus encoder packet loss %d%%: %w", expectedLossPercent, err)
	}
	return nil
}

// FrameSamples is the number of input samples per 20 ms packet.
func (e *OpusEncoder) FrameSamples() int { return e.frame }

// Encode encodes exactly FrameSamples() samples into a new packet. A nil
// packet with no error means the encoder produced no output for this frame.
func (e *OpusEncoder) Encode(pcm []int16) ([]byte, error) {
	if len(pcm) != e.frame {
		return nil, fmt.Errorf("opus encoder: got %d samples, want %d", len(pcm), e.frame)
	}
	n, err := e.enc.EncodeInt16(pcm, e.buf)
	if err != nil {
		return nil, fmt.Errorf("opus encode: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	return append([]byte(nil), e.buf[:n]...), nil
}

// EncodeAll encodes pcm in 20 ms frames (the last one padded with silence)
// and returns one packet per frame; frames that produced no output are
// skipped.
func (e *OpusEncoder) EncodeAll(pcm []int16) ([][]byte, error) {
	var packets [][]byte
	frame := make([]int16, e.frame)
	for off := 0; off < len(pcm); off += e.frame {
		clear(frame)
		copy(frame, pcm[off:])
		p, err := e.Encode(frame)
		if err != nil {
			return nil, err
		}
		if p != nil {
			packets = append(packets, p)
		}
	}
	return packets, nil
}
