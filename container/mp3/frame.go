package mp3

import (
	"errors"
	"fmt"
)

// Header is the 4-byte header of one MPEG audio Layer III frame.
type Header struct {
	Version         int // 1 (MPEG-1), 2 (MPEG-2) or 25 (MPEG-2.5)
	BitRate         int // bits per second
	SampleRate      int // Hz
	Padding         bool
	Mono            bool
	CRC             bool // a 16-bit CRC follows the header
	SamplesPerFrame int
	Size            int // bytes of the whole frame, header included
}

// ErrNoFrame is returned by ParseHeader for bytes that are not the header of
// a Layer III frame.
var ErrNoFrame = errors.New("mp3: not a Layer III frame header")

// Layer III bit rates in kbps by bit-rate index; index 0 (free format) and 15
// are not accepted.
var (
	bitRatesV1 = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	bitRatesV2 = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
)

var sampleRates = map[int][3]int{
	1:  {44100, 48000, 32000},
	2:  {22050, 24000, 16000},
	25: {11025, 12000, 8000},
}

// ParseHeader parses the frame header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < 4 {
		return h, ErrNoFrame
	}
	if b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return h, ErrNoFrame
	}
	switch (b[1] >> 3) & 3 {
	case 0:
		h.Version = 25
	case 2:
		h.Version = 2
	case 3:
		h.Version = 1
	default:
		return h, fmt.Errorf("%w: reserved version", ErrNoFrame)
	}
	if (b[1]>>1)&3 != 1 {
		return h, fmt.Errorf("%w: not layer III", ErrNoFrame)
	}
	h.CRC = b[1]&1 == 0
	bri, sri := int(b[2]>>4), int(b[2]>>2)&3
	if bri == 0 || bri == 15 || sri == 3 {
		return h, fmt.Errorf("%w: bit rate index %d, sample rate index %d", ErrNoFrame, bri, sri)
	}
	h.SampleRate = sampleRates[h.Version][sri]
	h.Padding = b[2]&2 != 0
	h.Mono = b[3]>>6 == 3
	pad := 0
	if h.Padding {
		pad = 1
	}
	if h.Version == 1 {
		h.BitRate = 1000 * bitRatesV1[bri]
		h.SamplesPerFrame = 1152
		h.Size = 144*h.BitRate/h.SampleRate + pad
	} else {
		h.BitRate = 1000 * bitRatesV2[bri]
		h.SamplesPerFrame = 576
		h.Size = 72*h.BitRate/h.SampleRate + pad
	}
	return h, nil
}

// sideInfoSize is the size of the side information after the header (and
// its CRC, if any).
func (h Header) sideInfoSize() int {
	switch {
	case h.Version == 1 && h.Mono:
		return 17
	case h.Version == 1:
		return 32
	case h.Mono:
		return 9
	default:
		return 17
	}
}

// dataOffset is where a frame's payload (or an Info tag) starts.
func (h Header) dataOffset() int {
	off := 4 + h.sideInfoSize()
	if h.CRC {
		off += 2
	}
	return off
}
