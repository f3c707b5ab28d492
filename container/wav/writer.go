package wav

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// File is what Writer writes to: an *os.File, or anything that can append,
// patch at an offset and flush to stable storage.
type File interface {
	io.Writer
	io.WriterAt
	Sync() error
}

// Writer streams interleaved 16-bit samples into a WAV file. It is not safe
// for concurrent use.
type Writer struct {
	f      File
	format Format
	buf    *bufio.Writer
	data   int64 // bytes of samples written so far
	max    int64 // data bytes the file may hold
	scr    []byte
	closed bool
}

// ErrFull is returned when a write would take the data chunk past
// MaxDataBytes.
var ErrFull = errors.New("wav: data chunk is full")

// NewWriter writes a header with zero sizes to f (which must be empty) and
// returns a Writer that appends samples after it.
func NewWriter(f File, format Format) (*Writer, error) {
	if err := format.validate(); err != nil {
		return nil, err
	}
	w := &Writer{f: f, format: format, buf: bufio.NewWriterSize(f, 64<<10)}
	w.max = MaxDataBytes - MaxDataBytes%int64(format.BlockAlign())
	if _, err := w.buf.Write(format.Header(0)); err != nil {
		return nil, fmt.Errorf("wav: write header: %w", err)
	}
	return w, nil
}

// Format returns the writer's format.
func (w *Writer) Format() Format { return w.format }

// DataBytes returns how many bytes of samples were written.
func (w *Writer) DataBytes() int64 { return w.data }

// Frames returns how many sample frames (one sample per channel) were written.
func (w *Writer) Frames() int64 { return w.data / int64(w.format.BlockAlign()) }

// Write appends interleaved samples; len(samples) must be a multiple of the
// channel count.
func (w *Writer) Write(samples []int16) error {
	if w.closed {
		return errors.New("wav: write after finalize")
	}
	if len(samples)%w.format.Channels != 0 {
		return fmt.Errorf("wav: %d samples is not a whole number of %d-channel frames", len(samples), w.format.Channels)
	}
	n := int64(2 * len(samples))
	if w.data+n > w.max {
		return ErrFull
	}
	if cap(w.scr) < int(n) {
		w.scr = make([]byte, n)
	}
	b := w.scr[:n]
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	if _, err := w.buf.Write(b); err != nil {
		return fmt.Errorf("wav: write samples: %w", err)
	}
	w.data += n
	return nil
}

// WriteSilence appends frames sample frames of zeros.
func (w *Writer) WriteSilence(frames int64) error {
	var zero [512]int16
	per := int64(len(zero) / w.format.Channels)
	for frames > 0 {
		k := min(frames, per)
		if err := w.Write(zero[:k*int64(w.format.Channels)]); err != nil {
			return err
		}
		frames -= k
	}
	return nil
}

// Sync makes every sample written so far durable. The header still says
// zero; Repair reads such a file back after a crash.
func (w *Writer) Sync() error {
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("wav: flush: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("wav: sync: %w", err)
	}
	return nil
}

// Finalize flushes the samples, patches the header sizes and syncs. The
// writer accepts no more samples; closing f is the caller's job.
func (w *Writer) Finalize() error {
	if w.closed {
		return nil
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("wav: flush: %w", err)
	}
	if _, err := w.f.WriteAt(w.format.Header(uint32(w.data)), 0); err != nil {
		return fmt.Errorf("wav: patch header: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("wav: sync: %w", err)
	}
	w.closed = true
	return nil
}
