//go:build cgo

package mp3

/*
#cgo LDFLAGS: -lmp3lame
#include <stdlib.h>
#include <lame/lame.h>

static lame_global_flags *callrec_lame_open(int rate, int kbps) {
	lame_global_flags *g = lame_init();
	if (g == NULL) return NULL;
	lame_set_in_samplerate(g, rate);
	lame_set_out_samplerate(g, rate);
	lame_set_num_channels(g, 1);
	lame_set_mode(g, MONO);
	lame_set_VBR(g, vbr_off);
	lame_set_brate(g, kbps);
	lame_set_quality(g, 5);
	lame_set_bWriteVbrTag(g, 1);
	if (lame_init_params(g) < 0) {
		lame_close(g);
		return NULL;
	}
	return g;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Encoder names the MP3 encoder this binary uses.
func Encoder() string {
	return "libmp3lame " + C.GoString(C.get_lame_version()) + " (linked through cgo)"
}

// lame encodes with libmp3lame in this process.
type lame struct {
	g   *C.lame_global_flags
	buf []byte
}

func newEncoder() (encoder, error) {
	g := C.callrec_lame_open(SampleRate, BitRate/1000)
	if g == nil {
		return nil, errors.New("mp3: libmp3lame refused the parameters")
	}
	return &lame{g: g}, nil
}

func (l *lame) grow(n int) []byte {
	if cap(l.buf) < n {
		l.buf = make([]byte, n)
	}
	return l.buf[:n]
}

func (l *lame) encode(pcm []int16, out []byte) ([]byte, error) {
	for len(pcm) > 0 {
		k := min(len(pcm), 1<<16)
		buf := l.grow(k*5/4 + 7200) // the bound lame.h gives
		n := C.lame_encode_buffer(l.g, (*C.short)(unsafe.Pointer(&pcm[0])), nil, C.int(k),
			(*C.uchar)(unsafe.Pointer(&buf[0])), C.int(len(buf)))
		if n < 0 {
			return out, fmt.Errorf("mp3: lame_encode_buffer: error %d", int(n))
		}
		out = append(out, buf[:n]...)
		pcm = pcm[k:]
	}
	return out, nil
}

func (l *lame) ready(out []byte) ([]byte, error) { return out, nil }

func (l *lame) flush(out []byte) ([]byte, error) {
	buf := l.grow(7200)
	n := C.lame_encode_flush(l.g, (*C.uchar)(unsafe.Pointer(&buf[0])), C.int(len(buf)))
	if n < 0 {
		return out, fmt.Errorf("mp3: lame_encode_flush: error %d", int(n))
	}
	return append(out, buf[:n]...), nil
}

func (l *lame) tag(_, _, _ int64) ([]byte, error) {
	buf := l.grow(2 * FrameBytes)
	n := C.lame_get_lametag_frame(l.g, (*C.uchar)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	if n == 0 || int(n) > len(buf) {
		return nil, fmt.Errorf("mp3: lame_get_lametag_frame returned %d bytes", int(n))
	}
	return append([]byte(nil), buf[:n]...), nil
}

func (l *lame) close() error {
	if l.g != nil {
		C.lame_close(l.g)
		l.g = nil
	}
	return nil
}
