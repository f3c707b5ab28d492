package recorder

import (
	"errors"
	"fmt"
	"sync"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio/aac"
	"github.com/callrec/callrec/container/mp4"
	"github.com/callrec/callrec/video"
)

// ACS's mixed audioVideo format: 1920×1080 at 16 fps, 1 Mbps.
const (
	videoWidth   = 1920
	videoHeight  = 1080
	videoFPS     = 16
	videoBitRate = 1_000_000
	// frameSamples is one video frame in audio samples (62.5 ms).
	frameSamples = callrec.SampleRate / videoFPS
	// videoQueue is how many frames wait for the encoder: 4 s, well within
	// the 8 s the compositor keeps pictures for, so that a frame composed
	// late still finds the pictures of its time.
	videoQueue = 4 * videoFPS
)

// vframe asks the video goroutine for one frame: the composite at
// call-clock position pos, or a blank frame (a pause kept as silence).
type vframe struct {
	pos   int64
	blank bool
}

// avWriter writes a chunk of a mixed audioVideo recording: the mixed
// audio goes to an AAC encoder, and for every 1000 samples (one frame at
// 16 fps) the compositor draws the call at the call-clock position of the
// frame's middle, for the H.264 encoder. Both come from the timeline's
// commits, so a paused span that the timeline cuts is cut from both
// tracks, and video frame k and audio samples [1000k, 1000k+1000) show
// the same instant of the call clock. Compositing and feeding the encoder
// run on the writer's own goroutine, which exits at Finalize or Close;
// the session's goroutine never waits for them: when the encoder is
// videoQueue frames behind (a host too loaded to encode in real time), a
// frame is not asked for, and the one before it lasts longer in the file.
// The encoders' output is muxed into the MP4 file by the session's
// goroutine, at every write and sync.
type avWriter struct {
	mw      *mp4.Writer
	aenc    *aac.Encoder
	venc    *video.Encoder
	comp    *video.Compositor
	isPause func(pos int64) bool
	samples int64 // audio samples written
	pos     int64 // call-clock position of the next sample
	zero    []int16
	// times are the chunk times (samples) of the frames asked for whose
	// access units have not come out of the encoder yet, in order.
	times   []uint64
	skipped int64 // frames not asked for: the encoder was behind
	frames  chan vframe
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	verr    error // the video goroutine's error
}

// positioned is a chunkWriter that is told the call-clock position of the
// samples it is about to be given.
type positioned interface{ at(pos int64) }

func newAVWriter(f mp4.File, comp *video.Compositor, isPause func(int64) bool) (chunkWriter, error) {
	mw, err := mp4.NewWriter(f, mp4.Config{FPS: videoFPS, SampleRate: callrec.SampleRate, AudioDelay: aac.Delay})
	if err != nil {
		return nil, err
	}
	aenc, err := aac.NewEncoder()
	if err != nil {
		return nil, err
	}
	venc, err := video.NewEncoder(video.EncoderConfig{Width: videoWidth, Height: videoHeight, FPS: videoFPS, BitRate: videoBitRate})
	if err != nil {
		aenc.Close()
		return nil, err
	}
	w := &avWriter{mw: mw, aenc: aenc, venc: venc, comp: comp, isPause: isPause,
		frames: make(chan vframe, videoQueue), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// run composes and encodes the frames asked for, until frames is closed.
func (w *avWriter) run() {
	defer close(w.done)
	for f := range w.frames {
		if w.failed() != nil {
			continue
		}
		var img *video.Image
		if f.blank {
			img = w.comp.Blank()
		} else {
			img = w.comp.Compose(f.pos)
		}
		if err := w.venc.Encode(img); err != nil {
			w.mu.Lock()
			w.verr = err
			w.mu.Unlock()
		}
	}
}

func (w *avWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.verr
}

func (w *avWriter) at(pos int64) { w.pos = pos }

func (w *avWriter) Frames() int64 { return w.samples }

func (w *avWriter) Write(samples []int16) error { return w.write(samples, false) }

func (w *avWriter) WriteSilence(n int64) error {
	blank := w.isPause(w.pos)
	for n > 0 {
		k := min(n, 4096)
		if int64(len(w.zero)) < k {
			w.zero = make([]int16, k)
		}
		if err := w.write(w.zero[:k], blank); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func (w *avWriter) write(samples []int16, blank bool) error {
	if err := w.failed(); err != nil {
		return err
	}
	// A frame starts at every multiple of frameSamples.
	first := (w.samples + frameSamples - 1) / frameSamples * frameSamples
	for s := first; s < w.samples+int64(len(samples)); s += frameSamples {
		select {
		case w.frames <- vframe{pos: w.pos + (s - w.samples) + frameSamples/2, blank: blank}:
			w.times = append(w.times, uint64(s))
		default:
			w.skipped++
		}
	}
	if err := w.aenc.Encode(samples); err != nil {
		return err
	}
	w.samples += int64(len(samples))
	w.pos += int64(len(samples))
	return w.mux()
}

// mux moves what the encoders have output into the MP4 writer.
func (w *avWriter) mux() error {
	if err := w.venc.AccessUnits(w.writeVideo); err != nil {
		return err
	}
	return w.aenc.Frames(w.mw.WriteAudio)
}

// writeVideo muxes the next access unit at the time of its frame.
func (w *avWriter) writeVideo(au []byte) error {
	if len(w.times) == 0 {
		return errors.New("recorder: the video encoder output more frames than it was given")
	}
	t := w.times[0]
	w.times = w.times[1:]
	return w.mw.WriteVideo(au, t)
}

func (w *avWriter) Sync() error {
	if err := w.mux(); err != nil {
		return err
	}
	return w.mw.Sync()
}

// stop ends the video goroutine once it has encoded every frame asked for.
func (w *avWriter) stop() {
	w.once.Do(func() { close(w.frames) })
	<-w.done
}

func (w *avWriter) Finalize() error {
	w.stop()
	if err := w.failed(); err != nil {
		w.Close()
		return err
	}
	err := w.venc.Finish(w.writeVideo)
	if err == nil {
		err = w.aenc.Finish(w.mw.WriteAudio)
	}
	if err == nil {
		// The last frame lasts until the end of the audio.
		w.mw.EndVideo(uint64(w.samples))
		err = w.mw.Finalize()
	}
	if err != nil {
		w.Close()
		return fmt.Errorf("recorder: finalize mp4: %w", err)
	}
	return nil
}

// Close releases the encoders of a chunk that will not be finalized (the
// file stays for recovery).
func (w *avWriter) Close() error {
	w.stop()
	w.venc.Close()
	w.aenc.Close()
	return nil
}

// repairMP4 makes a crashed MP4 chunk playable and returns its duration in
// samples. A chunk cut before its first fragment holds nothing playable: it
// is published empty, with duration 0.
func repairMP4(path string) (int64, error) {
	info, err := mp4.Repair(path)
	if errors.Is(err, mp4.ErrNoInit) {
		return 0, nil
	}
	return max(info.AudioSamples()-aac.Delay, 0), err
}
