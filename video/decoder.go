package video

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/callrec/callrec/internal/ffchild"
)

// Codec names a video encoding, as callrec.VideoCodec does.
type Codec string

// The codecs the decoder takes.
const (
	VP8  Codec = "VP8"
	H264 Codec = "H264"
)

// decoderQueue is how many encoded frames wait for a decoder (2 s at
// 30 fps); a decoder that falls further behind fails and restarts at the
// next keyframe.
const decoderQueue = 64

type encFrame struct {
	pos  int64
	data []byte
}

// decoder decodes one participant's encoded video through an ffmpeg child
// process: VP8 frames go in as an IVF stream, H.264 access units as an
// Annex-B stream; pictures come out scaled (aspect kept, padded) to w×h
// I420 frames, one per frame put in, in order. ffmpeg's raw output has no
// timestamps, so the decoder keeps the positions of the frames in flight
// and gives each picture the oldest. Its goroutine starts ffmpeg, feeds it
// from a queue, and exits at close or on failure, so that put never
// blocks.
type decoder struct {
	codec  Codec
	w, h   int
	onPic  func(pos int64, frame []byte)
	onFail func(error)
	queue  chan encFrame
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	p        *ffchild.Proc
	killed   bool
	failed   bool
	inFlight []int64
}

func startDecoder(codec Codec, w, h int, onPic func(int64, []byte), onFail func(error)) (*decoder, error) {
	if codec != VP8 && codec != H264 {
		return nil, fmt.Errorf("video: no decoder for codec %q", codec)
	}
	d := &decoder{codec: codec, w: w, h: h, onPic: onPic, onFail: onFail,
		queue: make(chan encFrame, decoderQueue), stop: make(chan struct{}), done: make(chan struct{})}
	go d.run()
	return d, nil
}

// put queues one encoded frame, captured at call-clock position pos. It
// reports false when the decoder has failed or its queue is full: the
// caller then drops it and starts another at a keyframe.
func (d *decoder) put(pos int64, data []byte) bool {
	d.mu.Lock()
	failed := d.failed
	d.mu.Unlock()
	if failed {
		return false
	}
	select {
	case d.queue <- encFrame{pos: pos, data: append([]byte(nil), data...)}:
		return true
	default:
		d.fail(errors.New("decoder queue full"))
		return false
	}
}

func (d *decoder) fail(err error) {
	d.mu.Lock()
	first := !d.failed
	d.failed = true
	d.mu.Unlock()
	if first && d.onFail != nil {
		d.onFail(err)
	}
}

func (d *decoder) args() []string {
	in := []string{"-f", "ivf"}
	if d.codec == H264 {
		in = []string{"-f", "h264"}
	}
	args := append([]string{"-probesize", "32", "-analyzeduration", "0", "-flags", "low_delay", "-threads", "1"}, in...)
	return append(args, "-i", "pipe:0", "-threads", "1",
		"-vf", fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:-1:-1:color=black,format=yuv420p", d.w, d.h, d.w, d.h),
		"-fps_mode", "passthrough", "-flush_packets", "1", "-f", "rawvideo", "pipe:1")
}

func (d *decoder) run() {
	defer close(d.done)
	p, err := ffchild.Start(d.read, d.args()...)
	if err != nil {
		d.fail(err)
		return
	}
	d.mu.Lock()
	d.p = p
	killed := d.killed
	d.mu.Unlock()
	defer p.Kill()
	if killed {
		return
	}
	if d.codec == VP8 {
		var h [32]byte
		copy(h[:], "DKIF")
		binary.LittleEndian.PutUint16(h[6:], 32)
		copy(h[8:], "VP80")
		binary.LittleEndian.PutUint16(h[12:], uint16(d.w))
		binary.LittleEndian.PutUint16(h[14:], uint16(d.h))
		binary.LittleEndian.PutUint32(h[16:], 16000)
		binary.LittleEndian.PutUint32(h[20:], 1)
		if err := p.Write(h[:]); err != nil {
			d.fail(err)
			return
		}
	}
	var hdr [12]byte
	for {
		var f encFrame
		select {
		case <-d.stop:
			return
		case f = <-d.queue:
		}
		d.mu.Lock()
		d.inFlight = append(d.inFlight, f.pos)
		d.mu.Unlock()
		if d.codec == VP8 {
			binary.LittleEndian.PutUint32(hdr[:4], uint32(len(f.data)))
			binary.LittleEndian.PutUint64(hdr[4:], uint64(f.pos))
			err = p.Write(hdr[:])
		}
		if err == nil {
			err = p.Write(f.data)
		}
		if err != nil {
			d.fail(err)
			return
		}
	}
}

// read runs on the Proc's goroutine: it hands out each picture with the
// position of the oldest frame in flight.
func (d *decoder) read(r io.Reader) error {
	buf := make([]byte, Size(d.w, d.h))
	for {
		if _, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			return err
		}
		d.mu.Lock()
		if len(d.inFlight) == 0 {
			d.mu.Unlock()
			continue // more pictures than frames: cannot be placed
		}
		pos := d.inFlight[0]
		d.inFlight = d.inFlight[1:]
		d.mu.Unlock()
		d.onPic(pos, buf)
	}
}

// close stops the decoder (ffmpeg is killed, what it holds is lost) and
// waits for its goroutines. It must not be called with a lock that onPic
// takes.
func (d *decoder) close() {
	d.once.Do(func() {
		close(d.stop)
		d.mu.Lock()
		d.killed = true
		p := d.p
		d.mu.Unlock()
		if p != nil {
			p.Kill()
		}
	})
	<-d.done
}
