//go:build !cgo

package mp3

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
)

// ffmpegDelay is the encoder delay libmp3lame adds (lame_get_encoder_delay
// for these settings), which the Info tag records.
const ffmpegDelay = 576

// Encoder names the MP3 encoder this binary uses.
func Encoder() string {
	return "ffmpeg child process (-c:a libmp3lame; this binary was built without cgo)"
}

// ffmpegEncoder pipes samples through `ffmpeg -c:a libmp3lame`. Its reader
// goroutine copies ffmpeg's output into pending until ffmpeg closes it.
type ffmpegEncoder struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	done    chan struct{} // closed when the reader goroutine exits
	mu      sync.Mutex
	pending []byte
	readErr error
	stderr  bytes.Buffer
	started bool // the placeholder frame was emitted
	scr     []byte
}

func newEncoder() (encoder, error) {
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "pipe:0",
		"-c:a", "libmp3lame", "-b:a", "48k", "-map_metadata", "-1",
		"-id3v2_version", "0", "-write_xing", "0", "-flush_packets", "1", "-f", "mp3", "pipe:1")
	e := &ffmpegEncoder{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &e.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("mp3: ffmpeg: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("mp3: ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mp3: start ffmpeg: %w", err)
	}
	e.stdin = stdin
	go e.read(stdout)
	return e, nil
}

func (e *ffmpegEncoder) read(r io.Reader) {
	defer close(e.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		e.mu.Lock()
		e.pending = append(e.pending, buf[:n]...)
		if err != nil && !errors.Is(err, io.EOF) {
			e.readErr = err
		}
		e.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (e *ffmpegEncoder) ready(out []byte) ([]byte, error) { return e.take(out) }

func (e *ffmpegEncoder) take(out []byte) ([]byte, error) {
	if !e.started {
		e.started = true
		out = append(out, placeholderFrame()...)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out = append(out, e.pending...)
	e.pending = e.pending[:0]
	return out, e.readErr
}

func (e *ffmpegEncoder) encode(pcm []int16, out []byte) ([]byte, error) {
	if cap(e.scr) < 2*len(pcm) {
		e.scr = make([]byte, 2*len(pcm))
	}
	b := e.scr[:2*len(pcm)]
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	if _, err := e.stdin.Write(b); err != nil {
		return out, fmt.Errorf("mp3: write to ffmpeg: %w", err)
	}
	return e.take(out)
}

func (e *ffmpegEncoder) flush(out []byte) ([]byte, error) {
	e.stdin.Close()
	<-e.done
	if err := e.cmd.Wait(); err != nil {
		return out, fmt.Errorf("mp3: ffmpeg: %w (%s)", err, bytes.TrimSpace(e.stderr.Bytes()))
	}
	return e.take(out)
}

func (e *ffmpegEncoder) tag(frames, fileBytes, samples int64) ([]byte, error) {
	return buildTag(frames, fileBytes, ffmpegDelay, samples)
}

func (e *ffmpegEncoder) close() error {
	if e.cmd.ProcessState != nil {
		return nil
	}
	e.stdin.Close()
	e.cmd.Process.Kill()
	<-e.done
	e.cmd.Wait()
	return nil
}
