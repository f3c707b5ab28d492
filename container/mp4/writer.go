package mp4

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/avc"
	mp4ff "github.com/Eyevinn/mp4ff/mp4"
)

// Timescale is the time unit of both tracks, in ticks per second.
const Timescale = 16000

// Track ids.
const (
	videoTrack = 1
	audioTrack = 2
)

// AACFrameSamples is the number of samples of one AAC-LC frame.
const AACFrameSamples = 1024

// Config describes the tracks.
type Config struct {
	FPS        int // video frames per second; Timescale must be a multiple
	SampleRate int // audio sample rate; must be Timescale
	// AudioDelay is how many samples of the audio track's start are
	// encoder priming, skipped on playback (an edit list).
	AudioDelay int
	// FragmentFrames is how many video frames a fragment holds [FPS].
	FragmentFrames int
}

func (c *Config) check() error {
	if c.FPS <= 0 || Timescale%c.FPS != 0 {
		return fmt.Errorf("mp4: %d fps does not divide the %d Hz timescale", c.FPS, Timescale)
	}
	if c.SampleRate != Timescale {
		return fmt.Errorf("mp4: audio at %d Hz, want %d", c.SampleRate, Timescale)
	}
	if c.FragmentFrames == 0 {
		c.FragmentFrames = c.FPS
	}
	return nil
}

// File is what Writer writes to.
type File interface {
	io.Writer
	Sync() error
}

type sample struct {
	data []byte
	key  bool
	t    uint64 // decode (and presentation) time
}

// Writer writes a fragmented MP4 file. It is not safe for concurrent use.
type Writer struct {
	f        File
	buf      *bufio.Writer
	cfg      Config
	frameDur uint64
	fragDur  uint64
	inited   bool
	video    []sample // pending
	audio    [][]byte // pending, from audioTime
	// audioTime is the decode time of the first pending audio sample.
	audioTime uint64
	// videoEnd is where the video ends: the last sample lasts until it
	// [its time plus one frame].
	videoEnd    uint64
	videoFrames int64
	audioFrames int64
	seq         uint32
	bytes       int64
	closed      bool
}

// NewWriter returns a Writer of an MP4 file into f, which must be empty.
func NewWriter(f File, cfg Config) (*Writer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	d := uint64(Timescale / cfg.FPS)
	return &Writer{f: f, buf: bufio.NewWriterSize(f, 64<<10), cfg: cfg, frameDur: d, fragDur: d * uint64(cfg.FragmentFrames)}, nil
}

// VideoFrames returns how many video frames were written.
func (w *Writer) VideoFrames() int64 { return w.videoFrames }

// AudioFrames returns how many AAC frames were written.
func (w *Writer) AudioFrames() int64 { return w.audioFrames }

// Bytes returns how many bytes were written to the file (or its buffer).
func (w *Writer) Bytes() int64 { return w.bytes }

// FrameTime returns the time of video frame n at the configured rate.
func (w *Writer) FrameTime(n int64) uint64 { return uint64(n) * w.frameDur }

// WriteVideo appends one H.264 access unit in Annex-B form, shown from
// time t (ticks of Timescale) until the next one's time, later than t: a
// frame that was not encoded (an encoder behind its input) makes the one
// before it last longer. The first must be an IDR picture with its SPS
// and PPS.
func (w *Writer) WriteVideo(annexB []byte, t uint64) error {
	if w.closed {
		return errors.New("mp4: write after finalize")
	}
	if n := len(w.video); (n > 0 && t <= w.video[n-1].t) || (n == 0 && w.videoFrames > 0 && t < w.videoEnd) {
		return fmt.Errorf("mp4: video frame at %d does not follow the last one", t)
	}
	nalus := avc.ExtractNalusFromByteStream(annexB)
	if len(nalus) == 0 {
		return errors.New("mp4: empty access unit")
	}
	key := false
	var sps, pps [][]byte
	var out bytes.Buffer
	for _, n := range nalus {
		switch avc.GetNaluType(n[0]) {
		case avc.NALU_SPS:
			sps = append(sps, n)
			continue
		case avc.NALU_PPS:
			pps = append(pps, n)
			continue
		case avc.NALU_AUD:
			continue
		case avc.NALU_IDR:
			key = true
		}
		var l [4]byte
		l[0], l[1], l[2], l[3] = byte(len(n)>>24), byte(len(n)>>16), byte(len(n)>>8), byte(len(n))
		out.Write(l[:])
		out.Write(n)
	}
	if !w.inited {
		if !key || len(sps) == 0 || len(pps) == 0 {
			return errors.New("mp4: the first access unit is not an IDR picture with its SPS and PPS")
		}
		if err := w.writeInit(sps, pps); err != nil {
			return err
		}
	}
	w.video = append(w.video, sample{data: out.Bytes(), key: key, t: t})
	w.videoFrames++
	w.videoEnd = t + w.frameDur
	return nil
}

// EndVideo sets where the last video frame written so far ends (its time
// plus one frame unless said otherwise).
func (w *Writer) EndVideo(t uint64) {
	if n := len(w.video); n > 0 && t > w.video[n-1].t {
		w.videoEnd = t
	}
}

// WriteAudio appends one raw AAC-LC frame (no ADTS header) of
// AACFrameSamples samples.
func (w *Writer) WriteAudio(frame []byte) error {
	if w.closed {
		return errors.New("mp4: write after finalize")
	}
	w.audio = append(w.audio, append([]byte(nil), frame...))
	w.audioFrames++
	return nil
}

func (w *Writer) writeInit(sps, pps [][]byte) error {
	init := mp4ff.CreateEmptyInit()
	init.Moov.Mvhd.Timescale = Timescale
	vt := init.AddEmptyTrack(Timescale, "video", "und")
	if err := vt.SetAVCDescriptor("avc1", sps, pps, true); err != nil {
		return fmt.Errorf("mp4: %w", err)
	}
	at := init.AddEmptyTrack(Timescale, "audio", "und")
	asc := &aac.AudioSpecificConfig{ObjectType: aac.AAClc, ChannelConfiguration: 1, SamplingFrequency: w.cfg.SampleRate}
	var ascb bytes.Buffer
	if err := asc.Encode(&ascb); err != nil {
		return fmt.Errorf("mp4: %w", err)
	}
	at.Mdia.Minf.Stbl.Stsd.AddChild(mp4ff.CreateAudioSampleEntryBox("mp4a", 1, 16, uint16(w.cfg.SampleRate), mp4ff.CreateEsdsBox(ascb.Bytes())))
	if w.cfg.AudioDelay > 0 {
		edts := &mp4ff.EdtsBox{}
		edts.AddChild(&mp4ff.ElstBox{Entries: []mp4ff.ElstEntry{{MediaTime: int64(w.cfg.AudioDelay), MediaRateInteger: 1}}})
		at.AddChild(edts)
	}
	w.inited = true
	return w.emit(init.Encode)
}

func (w *Writer) emit(encode func(io.Writer) error) error {
	cw := &countWriter{w: w.buf}
	err := encode(cw)
	w.bytes += cw.n
	if err != nil {
		return fmt.Errorf("mp4: write: %w", err)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// fragment writes the pending samples whose decode time is before end as
// one fragment.
func (w *Writer) fragment(end uint64) error {
	nv := 0
	for nv < len(w.video) && w.video[nv].t < end {
		nv++
	}
	na := 0
	for na < len(w.audio) && w.audioTime+uint64(na)*AACFrameSamples < end {
		na++
	}
	if nv == 0 && na == 0 {
		return nil
	}
	var ids []uint32
	if nv > 0 {
		ids = append(ids, videoTrack)
	}
	if na > 0 {
		ids = append(ids, audioTrack)
	}
	w.seq++
	frag, err := mp4ff.CreateMultiTrackFragment(w.seq, ids)
	if err != nil {
		return fmt.Errorf("mp4: %w", err)
	}
	for i, s := range w.video[:nv] {
		flags := mp4ff.NonSyncSampleFlags
		if s.key {
			flags = mp4ff.SyncSampleFlags
		}
		end := w.videoEnd
		if i+1 < len(w.video) {
			end = w.video[i+1].t
		}
		fs := mp4ff.FullSample{Sample: mp4ff.Sample{Flags: flags, Dur: uint32(end - s.t), Size: uint32(len(s.data))},
			DecodeTime: s.t, Data: s.data}
		if err := frag.AddFullSampleToTrack(fs, videoTrack); err != nil {
			return fmt.Errorf("mp4: %w", err)
		}
	}
	for i, a := range w.audio[:na] {
		fs := mp4ff.FullSample{Sample: mp4ff.Sample{Flags: mp4ff.SyncSampleFlags, Dur: AACFrameSamples, Size: uint32(len(a))},
			DecodeTime: w.audioTime + uint64(i)*AACFrameSamples, Data: a}
		if err := frag.AddFullSampleToTrack(fs, audioTrack); err != nil {
			return fmt.Errorf("mp4: %w", err)
		}
	}
	if err := w.emit(frag.Encode); err != nil {
		return err
	}
	w.video = append(w.video[:0], w.video[nv:]...)
	w.audio = append(w.audio[:0], w.audio[na:]...)
	w.audioTime += uint64(na) * AACFrameSamples
	return nil
}

// ready writes every fragment that both tracks have passed the end of.
func (w *Writer) ready() error {
	if !w.inited {
		return nil
	}
	for len(w.video) > 0 {
		// A fragment ends at the next multiple of the fragment duration;
		// it is written once a video frame at or after its end has come
		// (the frames before it have their durations) and the audio has
		// passed it.
		end := (w.video[0].t/w.fragDur + 1) * w.fragDur
		vLast := w.video[len(w.video)-1].t
		aEnd := w.audioTime + uint64(len(w.audio))*AACFrameSamples
		if vLast < end || aEnd < end {
			return nil
		}
		if err := w.fragment(end); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes the fragments that are complete and hands them to the file
// (without syncing it).
func (w *Writer) Flush() error {
	if err := w.ready(); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("mp4: flush: %w", err)
	}
	return nil
}

// Sync writes the complete fragments and makes them durable.
func (w *Writer) Sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("mp4: sync: %w", err)
	}
	return nil
}

// Finalize writes every pending sample (in fragments of at most
// FragmentFrames frames) and syncs. It fails if no video was written: an
// MP4 without its init segment plays nothing.
func (w *Writer) Finalize() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if !w.inited {
		return errors.New("mp4: finalize before any video")
	}
	if err := w.ready(); err != nil {
		return err
	}
	for len(w.video) > 0 || len(w.audio) > 0 {
		start := w.audioTime
		if len(w.video) > 0 && (len(w.audio) == 0 || w.video[0].t < start) {
			start = w.video[0].t
		}
		end := (start/w.fragDur + 1) * w.fragDur
		if err := w.fragment(end); err != nil {
			return err
		}
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("mp4: flush: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("mp4: sync: %w", err)
	}
	return nil
}
