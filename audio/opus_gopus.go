//go:build !cgo

package audio

import (
	"fmt"
	"math"

	"github.com/thesyncim/gopus"
)

// OpusDecoder decodes Opus straight to 16 kHz mono with the pure-Go gopus
// decoder (no resampler: Opus decimates internally). It takes gopus's
// float output and converts it itself: gopus's own 16-bit conversion calls
// a function per sample, 7 % of a loaded server's CPU
// (docs/BENCHMARKS.md); the result is the same (round half to even,
// libopus's soft clip past full scale).
type OpusDecoder struct {
	dec  *gopus.Decoder
	fec  []float32 // scratch for Recover
	f32  []float32 // scratch for Decode
	clip softClipper
}

// NewOpusDecoder returns a decoder producing 16 kHz mono.
func NewOpusDecoder() (*OpusDecoder, error) {
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(OpusSampleRate, 1))
	if err != nil {
		return nil, fmt.Errorf("opus decoder: %w", err)
	}
	return &OpusDecoder{dec: dec}, nil
}

// Decode implements Decoder. An empty packet is an error, not a loss: call
// Conceal for losses (gopus would otherwise synthesise audio silently).
func (d *OpusDecoder) Decode(packet []byte, pcm []int16) (int, error) {
	if len(packet) == 0 {
		return 0, fmt.Errorf("opus: empty packet")
	}
	if cap(d.f32) < len(pcm) {
		d.f32 = make([]float32, len(pcm))
	}
	buf := d.f32[:len(pcm)]
	n, err := d.dec.Decode(packet, buf)
	if err != nil {
		return 0, fmt.Errorf("opus: %w", err)
	}
	d.toInt16(pcm, buf[:n])
	return n, nil
}

// toInt16 converts decoded samples to 16 bits, soft-clipping those past
// full scale (and the rest of a half-wave the previous packet clipped).
func (d *OpusDecoder) toInt16(dst []int16, src []float32) {
	if d.clip.mem != 0 || !inUnitRange(src) {
		d.clip.apply(src)
	}
	for i, v := range src {
		dst[i] = int16(math.RoundToEven(float64(max(-32768, min(32767, v*32768)))))
	}
}

// Conceal implements Decoder.
func (d *OpusDecoder) Conceal(pcm []int16) (int, error) {
	n, err := d.dec.DecodeInt16(nil, pcm)
	if err != nil {
		return 0, fmt.Errorf("opus concealment: %w", err)
	}
	return n, nil
}

// Recover implements Decoder with Opus in-band FEC (LBRR).
func (d *OpusDecoder) Recover(next []byte, pcm []int16) (int, bool, error) {
	if !gopus.PacketHasLBRR(next) {
		n, err := d.Conceal(pcm)
		return n, false, err
	}
	if cap(d.fec) < len(pcm) {
		d.fec = make([]float32, len(pcm))
	}
	buf := d.fec[:len(pcm)]
	n, err := d.dec.DecodeWithFEC(next, buf, true)
	if err != nil {
		return 0, false, fmt.Errorf("opus FEC: %w", err)
	}
	for i, v := range buf[:n] {
		pcm[i] = FloatToInt16(float64(v))
	}
	return n, true, nil
}

// Reset implements Decoder.
func (d *OpusDecoder) Reset() { d.dec.Reset() }

// OpusDecoderName names the Opus decoder this binary uses.
func OpusDecoderName() string { return "gopus (pure Go; this build has no cgo)" }
