package mp3

import (
	"bufio"
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

// Writer encodes 16 kHz mono samples into an MP3 file as they arrive. It is
// not safe for concurrent use.
type Writer struct {
	f       File
	enc     encoder
	buf     *bufio.Writer
	out     []byte
	samples int64 // samples written
	bytes   int64 // MP3 bytes handed to buf
	closed  bool
}

// NewWriter returns a Writer that writes an MP3 file into f, which must be
// empty.
func NewWriter(f File) (*Writer, error) {
	enc, err := newEncoder()
	if err != nil {
		return nil, err
	}
	return &Writer{f: f, enc: enc, buf: bufio.NewWriterSize(f, 16<<10)}, nil
}

// Bytes returns how many bytes of MP3 reached the file (or its buffer).
func (w *Writer) Bytes() int64 { return w.bytes }

// Frames returns how many samples were written (one sample is one frame of
// mono audio, as in package wav).
func (w *Writer) Frames() int64 { return w.samples }

// Write encodes samples.
func (w *Writer) Write(samples []int16) error {
	if w.closed {
		return errors.New("mp3: write after finalize")
	}
	out, err := w.enc.encode(samples, w.out[:0])
	if err != nil {
		return err
	}
	w.out = out
	w.samples += int64(len(samples))
	return w.emit(out)
}

func (w *Writer) emit(b []byte) error {
	if _, err := w.buf.Write(b); err != nil {
		return fmt.Errorf("mp3: write: %w", err)
	}
	w.bytes += int64(len(b))
	return nil
}

// WriteSilence appends n samples of silence.
func (w *Writer) WriteSilence(n int64) error {
	var zero [1024]int16
	for n > 0 {
		k := min(n, int64(len(zero)))
		if err := w.Write(zero[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// Sync makes the frames encoded so far durable. The encoder holds back the
// last few hundred samples until it has a whole frame (and its look-ahead),
// and an ffmpeg child process works some way behind its input; Repair reads
// such a file back after a crash.
func (w *Writer) Sync() error {
	if !w.closed {
		out, err := w.enc.ready(w.out[:0])
		if err != nil {
			return err
		}
		w.out = out
		if err := w.emit(out); err != nil {
			return err
		}
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("mp3: flush: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("mp3: sync: %w", err)
	}
	return nil
}

// Finalize encodes what the encoder holds, writes the Info tag over the
// first frame and syncs. The writer accepts no more samples; closing f is
// the caller's job.
func (w *Writer) Finalize() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.enc.close()
	out, err := w.enc.flush(w.out[:0])
	if err != nil {
		return err
	}
	if err := w.emit(out); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("mp3: flush: %w", err)
	}
	if w.bytes < FrameBytes {
		return fmt.Errorf("mp3: the encoder wrote %d bytes, less than a frame", w.bytes)
	}
	tag, err := w.enc.tag(w.bytes/FrameBytes-1, w.bytes, w.samples)
	if err != nil {
		return err
	}
	if len(tag) != FrameBytes {
		return fmt.Errorf("mp3: Info tag frame of %d bytes, want %d", len(tag), FrameBytes)
	}
	if _, err := w.f.WriteAt(tag, 0); err != nil {
		return fmt.Errorf("mp3: write Info tag: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("mp3: sync: %w", err)
	}
	return nil
}

// Close releases the encoder of a writer that will not be finalized (the
// file is abandoned, or Repair will read it). It is safe after Finalize.
func (w *Writer) Close() error {
	w.closed = true
	return w.enc.close()
}
