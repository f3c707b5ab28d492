package simulate

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
)

// vp8Encoder turns raw pictures into VP8 with ffmpeg child processes
// (libvpx, real-time, one frame out per frame in: no lag, no alt-ref). A
// libvpx encoder cannot be told to make a keyframe from outside the
// process, so keyframes on demand work by switching to a spare process,
// started ahead and idle: a new encoder's first frame is always a
// keyframe. The old one is closed and its last frames sent before the new
// one's first. Otherwise keyframes come every vp8KeyframeEvery frames.
type vp8Encoder struct {
	ctx  context.Context
	sink func(frame []byte, index int) // in order of index; one goroutine at a time

	mu      sync.Mutex
	active  *vp8Process
	spare   *vp8Process
	next    int // pictures encoded
	errOnce sync.Once
	err     error
	procs   sync.WaitGroup
}

// vp8KeyframeEvery is the keyframe interval without requests (20 s).
const vp8KeyframeEvery = 20 * VideoFPS

// vp8Process is one ffmpeg encoder: it encodes pictures from index base on.
type vp8Process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// fed are the indexes of the pictures written and not yet read back
	// encoded (guarded by vp8Encoder.mu): one frame out per frame in.
	fed []int
	// prev is closed when the process before this one has sent its last
	// frame; done when this one has.
	prev, done chan struct{}
}

func newVP8Encoder(ctx context.Context, sink func(frame []byte, index int)) (*vp8Encoder, error) {
	e := &vp8Encoder{ctx: ctx, sink: sink}
	first := make(chan struct{})
	close(first)
	p, err := e.start(first)
	if err != nil {
		return nil, err
	}
	e.active = p
	if e.spare, err = e.start(p.done); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// start runs an ffmpeg encoder whose frames go out after prev is closed.
func (e *vp8Encoder) start(prev chan struct{}) (*vp8Process, error) {
	cmd := exec.CommandContext(e.ctx, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", fmt.Sprintf("%dx%d", VideoWidth, VideoHeight),
		"-r", strconv.Itoa(VideoFPS), "-i", "pipe:0",
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k",
		"-lag-in-frames", "0", "-auto-alt-ref", "0", "-error-resilient", "1",
		"-g", strconv.Itoa(vp8KeyframeEvery), "-threads", "1",
		"-flush_packets", "1", "-f", "ivf", "pipe:1")
	// ffmpeg reads pipe:0 from its own stdin, whatever -nostdin says of
	// interaction.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("simulate: start the VP8 encoder (ffmpeg with libvpx): %w", err)
	}
	p := &vp8Process{cmd: cmd, stdin: stdin, prev: prev, done: make(chan struct{})}
	e.procs.Add(1)
	go func() {
		defer e.procs.Done()
		defer close(p.done)
		err := e.read(p, bufio.NewReaderSize(stdout, 64<<10))
		_, _ = io.Copy(io.Discard, stdout)
		if werr := cmd.Wait(); err == nil && werr != nil && e.ctx.Err() == nil {
			err = fmt.Errorf("simulate: VP8 encoder: %w", werr)
		}
		if err != nil {
			e.fail(err)
		}
	}()
	return p, nil
}

// read sends one process's IVF frames, after its predecessor's.
func (e *vp8Encoder) read(p *vp8Process, r *bufio.Reader) error {
	var hdr [32]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // closed before it encoded anything (the spare at the end)
		}
		return fmt.Errorf("simulate: VP8 encoder output: %w", err)
	}
	<-p.prev
	for {
		var fh [12]byte
		if _, err := io.ReadFull(r, fh[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("simulate: VP8 encoder output: %w", err)
		}
		size := binary.LittleEndian.Uint32(fh[:4])
		if size > 4<<20 {
			return fmt.Errorf("simulate: VP8 encoder output: a frame of %d bytes", size)
		}
		frame := make([]byte, size)
		if _, err := io.ReadFull(r, frame); err != nil {
			return fmt.Errorf("simulate: VP8 encoder output: %w", err)
		}
		e.mu.Lock()
		if len(p.fed) == 0 {
			e.mu.Unlock()
			return errors.New("simulate: VP8 encoder output: more frames out than in")
		}
		index := p.fed[0]
		p.fed = p.fed[1:]
		e.mu.Unlock()
		e.sink(frame, index)
	}
}

func (e *vp8Encoder) fail(err error) {
	e.errOnce.Do(func() {
		e.mu.Lock()
		e.err = err
		e.mu.Unlock()
	})
}

// Err returns the first error of an encoder process, if any.
func (e *vp8Encoder) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// Encode queues picture (yuv420p, VideoWidth x VideoHeight) as frame
// index (increasing; the sink gets it back with the frame). keyframe makes
// it a keyframe (the spare process takes over), unless no spare is ready
// yet.
func (e *vp8Encoder) Encode(picture []byte, index int, keyframe bool) error {
	e.mu.Lock()
	if err := e.err; err != nil {
		e.mu.Unlock()
		return err
	}
	if keyframe && e.spare != nil && e.next > 0 {
		old := e.active
		e.active, e.spare = e.spare, nil
		_ = old.stdin.Close()
	}
	p := e.active
	p.fed = append(p.fed, index)
	e.next++
	needSpare := e.spare == nil
	e.mu.Unlock()
	if needSpare {
		spare, err := e.start(p.done)
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.spare = spare
		e.mu.Unlock()
	}
	if _, err := p.stdin.Write(picture); err != nil {
		return fmt.Errorf("simulate: VP8 encoder input: %w", err)
	}
	return nil
}

// Close ends the encoders and waits until every frame is sent.
func (e *vp8Encoder) Close() {
	e.mu.Lock()
	for _, p := range []*vp8Process{e.active, e.spare} {
		if p != nil {
			_ = p.stdin.Close()
		}
	}
	e.mu.Unlock()
	e.procs.Wait()
}
