// Package aac encodes 16 kHz mono audio to AAC-LC through an ffmpeg child
// process (ffmpeg's native aac encoder, raw PCM in, ADTS out) and hands
// out raw AAC frames, their ADTS headers removed, for an MP4 track.
package aac

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/ffchild"
)

// BitRate is the AAC bit rate, in bits per second.
const BitRate = 48000

// Delay is how many priming samples the encoder puts before the audio
// (ffmpeg's aac encoder: one frame); an MP4 edit list skips them.
const Delay = 1024

// FrameSamples is the number of samples of one AAC frame.
const FrameSamples = 1024

// Encoder encodes audio as it arrives. It is not safe for concurrent use.
type Encoder struct {
	p       *ffchild.Proc
	scr     []byte
	out     []byte // ADTS bytes not yet split into frames
	samples int64
	done    bool
}

// NewEncoder starts an encoder of callrec.SampleRate mono audio.
func NewEncoder() (*Encoder, error) {
	p, err := ffchild.Start(nil, "-f", "s16le", "-ar", fmt.Sprint(callrec.SampleRate), "-ac", "1", "-i", "pipe:0",
		"-c:a", "aac", "-b:a", fmt.Sprint(BitRate), "-flush_packets", "1", "-f", "adts", "pipe:1")
	if err != nil {
		return nil, fmt.Errorf("aac: %w", err)
	}
	return &Encoder{p: p}, nil
}

// Samples returns how many samples were encoded.
func (e *Encoder) Samples() int64 { return e.samples }

// Encode sends samples to the encoder.
func (e *Encoder) Encode(samples []int16) error {
	if e.done {
		return errors.New("aac: encode after finish")
	}
	if cap(e.scr) < 2*len(samples) {
		e.scr = make([]byte, 2*len(samples))
	}
	b := e.scr[:2*len(samples)]
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	e.samples += int64(len(samples))
	if err := e.p.Write(b); err != nil {
		return fmt.Errorf("aac: %w", err)
	}
	return nil
}

// Frames calls emit with every whole AAC frame the encoder has output so
// far, in order. The frame is only valid during the call.
func (e *Encoder) Frames(emit func(frame []byte) error) error {
	out, err := e.p.Take(e.out)
	e.out = out
	if err != nil {
		return fmt.Errorf("aac: %w", err)
	}
	n, err := splitADTS(e.out, emit)
	e.out = append(e.out[:0], e.out[n:]...)
	return err
}

// Finish encodes what the encoder holds and emits the last frames.
func (e *Encoder) Finish(emit func(frame []byte) error) error {
	if e.done {
		return nil
	}
	e.done = true
	if err := e.p.Finish(); err != nil {
		return fmt.Errorf("aac: %w", err)
	}
	return e.Frames(emit)
}

// Close stops an encoder that will not be finished.
func (e *Encoder) Close() {
	e.done = true
	e.p.Kill()
}

// splitADTS emits the raw frames of the whole ADTS frames at the start of b
// and returns how many bytes they took.
func splitADTS(b []byte, emit func([]byte) error) (int, error) {
	used := 0
	for len(b)-used >= 7 {
		h := b[used:]
		if h[0] != 0xFF || h[1]&0xF6 != 0xF0 {
			return used, fmt.Errorf("aac: lost ADTS sync at byte %d", used)
		}
		hdr := 7
		if h[1]&1 == 0 {
			hdr = 9 // CRC present
		}
		size := int(h[3]&3)<<11 | int(h[4])<<3 | int(h[5])>>5
		if size < hdr {
			return used, fmt.Errorf("aac: ADTS frame of %d bytes", size)
		}
		if len(h) < size {
			break
		}
		if err := emit(h[hdr:size]); err != nil {
			return used, err
		}
		used += size
	}
	return used, nil
}
