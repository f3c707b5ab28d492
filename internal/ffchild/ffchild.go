// Package ffchild runs an ffmpeg child process that media is piped
// through: bytes in on its stdin, bytes out of its stdout, read by one
// goroutine that the Proc owns and that exits when ffmpeg closes its
// output. Video decode and encode and AAC encode use it (see docs/video.md
// for why ffmpeg runs as a child process rather than linked in).
package ffchild

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Proc is one running ffmpeg. Write and Take are for one goroutine at a
// time; Kill may be called from any.
type Proc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	done    chan struct{} // closed when the reader goroutine exits
	stderr  limitedBuffer
	mu      sync.Mutex
	pending []byte
	readErr error
	// waitOnce reaps ffmpeg; waitErr is its answer.
	waitOnce sync.Once
	waitErr  error
}

// Start runs ffmpeg with args (after -hide_banner -nostdin -loglevel
// error). If consume is nil, its output collects in a buffer that Take
// empties; otherwise consume reads the output on the Proc's goroutine until
// it returns (it must read until EOF or an error).
func Start(consume func(io.Reader) error, args ...string) (*Proc, error) {
	all := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...)
	cmd := exec.Command("ffmpeg", all...)
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	p.stderr.max = 4 << 10
	cmd.Stderr = &p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ffmpeg: %w", err)
	}
	p.stdin = stdin
	if consume == nil {
		consume = p.collect
	}
	go func() {
		defer close(p.done)
		err := consume(stdout)
		if err != nil && !errors.Is(err, io.EOF) {
			p.mu.Lock()
			p.readErr = err
			p.mu.Unlock()
		}
		// Whatever consume left unread is drained, so that ffmpeg never
		// blocks on a full pipe.
		io.Copy(io.Discard, stdout)
	}()
	return p, nil
}

func (p *Proc) collect(r io.Reader) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		p.mu.Lock()
		p.pending = append(p.pending, buf[:n]...)
		p.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// Write sends b to ffmpeg's input. It blocks while ffmpeg is busy.
func (p *Proc) Write(b []byte) error {
	if _, err := p.stdin.Write(b); err != nil {
		return fmt.Errorf("write to ffmpeg: %w (%s)", err, p.stderr.String())
	}
	return nil
}

// Take appends the output collected so far to dst.
func (p *Proc) Take(dst []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dst = append(dst, p.pending...)
	p.pending = p.pending[:0]
	return dst, p.readErr
}

// Finish closes ffmpeg's input and waits for it to write its last output
// and exit.
func (p *Proc) Finish() error {
	p.stdin.Close()
	<-p.done
	return p.wait()
}

func (p *Proc) wait() error {
	p.waitOnce.Do(func() {
		if err := p.cmd.Wait(); err != nil {
			p.waitErr = fmt.Errorf("ffmpeg: %w (%s)", err, p.stderr.String())
		}
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waitErr != nil {
		return p.waitErr
	}
	return p.readErr
}

// Kill stops ffmpeg at once and waits for it. It may be called more than
// once, concurrently, and after Finish.
func (p *Proc) Kill() {
	p.stdin.Close()
	p.cmd.Process.Kill()
	<-p.done
	p.wait()
}

// CPU returns the CPU time ffmpeg used, once it has exited.
func (p *Proc) CPU() time.Duration {
	if p.cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// limitedBuffer keeps the first max bytes of ffmpeg's messages.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(bytes.TrimSpace(l.b.Bytes()))
}
