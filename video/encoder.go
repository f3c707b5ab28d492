package video

import (
	"bytes"
	"fmt"
	"time"

	"github.com/callrec/callrec/internal/ffchild"
)

// EncoderConfig configures the H.264 encoder.
type EncoderConfig struct {
	Width, Height int
	FPS           int
	BitRate       int    // bits per second
	Preset        string // x264 preset [superfast]
	GOP           int    // frames between keyframes [2×FPS]
}

// Encoder encodes pictures to H.264 through an ffmpeg child process
// (libx264, tune zerolatency: no B-frames and no look-ahead, so that each
// picture comes out as one access unit right after it went in). It is not
// safe for concurrent use.
type Encoder struct {
	cfg    EncoderConfig
	p      *ffchild.Proc
	out    []byte
	in     int64
	outAUs int64
	done   bool
}

// NewEncoder starts an encoder.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if cfg.Preset == "" {
		cfg.Preset = "superfast"
	}
	if cfg.GOP == 0 {
		cfg.GOP = 2 * cfg.FPS
	}
	p, err := ffchild.Start(nil, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height),
		"-r", fmt.Sprint(cfg.FPS), "-i", "pipe:0",
		"-c:v", "libx264", "-preset", cfg.Preset, "-tune", "zerolatency", "-threads", "1",
		"-b:v", fmt.Sprint(cfg.BitRate), "-maxrate", fmt.Sprint(cfg.BitRate), "-bufsize", fmt.Sprint(2*cfg.BitRate),
		"-g", fmt.Sprint(cfg.GOP), "-keyint_min", fmt.Sprint(cfg.GOP), "-sc_threshold", "0", "-bf", "0",
		"-x264-params", "aud=1:repeat-headers=1", "-profile:v", "high",
		"-flush_packets", "1", "-f", "h264", "pipe:1")
	if err != nil {
		return nil, fmt.Errorf("video: encoder: %w", err)
	}
	return &Encoder{cfg: cfg, p: p}, nil
}

// Frames returns how many pictures were sent to the encoder.
func (e *Encoder) Frames() int64 { return e.in }

// Encode sends one picture of the configured size.
func (e *Encoder) Encode(img *Image) error {
	if img.W != e.cfg.Width || img.H != e.cfg.Height {
		return fmt.Errorf("video: encode %dx%d into a %dx%d stream", img.W, img.H, e.cfg.Width, e.cfg.Height)
	}
	for _, plane := range [][]byte{img.Y, img.U, img.V} {
		if err := e.p.Write(plane); err != nil {
			return fmt.Errorf("video: encoder: %w", err)
		}
	}
	e.in++
	return nil
}

var aud4 = []byte{0, 0, 0, 1, 9}

// AccessUnits calls emit with every whole access unit (Annex-B, from its
// access unit delimiter) encoded so far, in order. The unit is only valid
// during the call.
func (e *Encoder) AccessUnits(emit func(au []byte) error) error {
	out, err := e.p.Take(e.out)
	e.out = out
	if err != nil {
		return fmt.Errorf("video: encoder: %w", err)
	}
	return e.split(emit, false)
}

// split emits the units before the last delimiter (all of them, at the
// end of the stream).
func (e *Encoder) split(emit func([]byte) error, last bool) error {
	start := bytes.Index(e.out, aud4)
	if start < 0 {
		return nil
	}
	used := start
	for {
		next := bytes.Index(e.out[used+len(aud4):], aud4)
		if next < 0 {
			break
		}
		end := used + len(aud4) + next
		if err := e.emit(emit, e.out[used:end]); err != nil {
			return err
		}
		used = end
	}
	if last && used < len(e.out) {
		if err := e.emit(emit, e.out[used:]); err != nil {
			return err
		}
		used = len(e.out)
	}
	e.out = append(e.out[:0], e.out[used:]...)
	return nil
}

func (e *Encoder) emit(emit func([]byte) error, au []byte) error {
	e.outAUs++
	return emit(au)
}

// Finish encodes what the encoder holds and emits the last units.
func (e *Encoder) Finish(emit func(au []byte) error) error {
	if e.done {
		return nil
	}
	e.done = true
	if err := e.p.Finish(); err != nil {
		return fmt.Errorf("video: encoder: %w", err)
	}
	out, err := e.p.Take(e.out)
	e.out = out
	if err != nil {
		return fmt.Errorf("video: encoder: %w", err)
	}
	return e.split(emit, true)
}

// Close stops an encoder that will not be finished.
func (e *Encoder) Close() {
	e.done = true
	e.p.Kill()
}

// CPU returns the CPU time the encoder's process used, once finished.
func (e *Encoder) CPU() time.Duration { return e.p.CPU() }
