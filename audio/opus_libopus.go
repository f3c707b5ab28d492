//go:build cgo

package audio

/*
#cgo CFLAGS: -I/usr/include/opus
#cgo LDFLAGS: -lopus
#include <opus.h>

// opus_decoder_ctl is variadic, which cgo cannot call.
static int callrec_opus_reset(OpusDecoder *d) { return opus_decoder_ctl(d, OPUS_RESET_STATE); }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/thesyncim/gopus"
)

// OpusDecoder decodes Opus straight to 16 kHz mono with libopus, the
// reference decoder, linked through cgo (Debian libopus0; libopus-dev to
// build). A build without cgo decodes with the pure-Go gopus instead
// (opus_gopus.go). libopus is kept for the media path because it is the
// cheaper of the two on a loaded server: its state is 18 KB against
// gopus's 216 KB, so hundreds of streams' decoders stay in the caches, and
// it decodes a frame faster (docs/BENCHMARKS.md, "Opus decoder").
//
// The decoder's state lives in Go memory (opus_decoder_init on a buffer of
// opus_decoder_get_size bytes, which holds no pointer into Go memory), so
// that it is freed with the OpusDecoder and nothing needs closing.
type OpusDecoder struct {
	state []uint64 // an OpusDecoder, 8-byte aligned
}

// OpusDecoderName names the Opus decoder this binary uses.
func OpusDecoderName() string {
	return C.GoString(C.opus_get_version_string()) + " (linked through cgo)"
}

// NewOpusDecoder returns a decoder producing 16 kHz mono.
func NewOpusDecoder() (*OpusDecoder, error) {
	size := int(C.opus_decoder_get_size(1))
	d := &OpusDecoder{state: make([]uint64, (size+7)/8)}
	if rc := C.opus_decoder_init(d.dec(), OpusSampleRate, 1); rc != C.OPUS_OK {
		return nil, fmt.Errorf("opus decoder: %s", C.GoString(C.opus_strerror(rc)))
	}
	return d, nil
}

func (d *OpusDecoder) dec() *C.OpusDecoder {
	return (*C.OpusDecoder)(unsafe.Pointer(&d.state[0]))
}

// decode runs opus_decode: a nil packet conceals a loss, fec decodes the
// packet's in-band redundancy for the frame before it.
func (d *OpusDecoder) decode(packet []byte, pcm []int16, fec bool) (int, error) {
	if len(pcm) == 0 {
		return 0, fmt.Errorf("opus: no room for samples")
	}
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	var decodeFEC C.int
	if fec {
		decodeFEC = 1
	}
	n := C.opus_decode(d.dec(), data, C.opus_int32(len(packet)),
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)), decodeFEC)
	if n < 0 {
		return 0, fmt.Errorf("%s", C.GoString(C.opus_strerror(n)))
	}
	return int(n), nil
}

// Decode implements Decoder. An empty packet is an error, not a loss: call
// Conceal for losses.
func (d *OpusDecoder) Decode(packet []byte, pcm []int16) (int, error) {
	if len(packet) == 0 {
		return 0, fmt.Errorf("opus: empty packet")
	}
	n, err := d.decode(packet, pcm, false)
	if err != nil {
		return 0, fmt.Errorf("opus: %w", err)
	}
	return n, nil
}

// Conceal implements Decoder.
func (d *OpusDecoder) Conceal(pcm []int16) (int, error) {
	n, err := d.decode(nil, pcm, false)
	if err != nil {
		return 0, fmt.Errorf("opus concealment: %w", err)
	}
	return n, nil
}

// Recover implements Decoder with Opus in-band FEC (LBRR). libopus
// conceals by itself when next carries none; gopus's packet parser says
// which it was.
func (d *OpusDecoder) Recover(next []byte, pcm []int16) (int, bool, error) {
	if len(next) == 0 || !gopus.PacketHasLBRR(next) {
		n, err := d.Conceal(pcm)
		return n, false, err
	}
	n, err := d.decode(next, pcm, true)
	if err != nil {
		return 0, false, fmt.Errorf("opus FEC: %w", err)
	}
	return n, true, nil
}

// Reset implements Decoder.
func (d *OpusDecoder) Reset() { C.callrec_opus_reset(d.dec()) }
