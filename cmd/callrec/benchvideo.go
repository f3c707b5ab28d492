package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio/aac"
	"github.com/callrec/callrec/container/mp4"
	"github.com/callrec/callrec/video"
)

// The video job: each participant sends VP8 at 360p, 30 fps; the composite
// is ACS's mixed audioVideo format, as the recorder writes it.
const (
	benchVideoW, benchVideoH = 640, 360
	benchVideoInFPS          = 30
	benchCanvasW             = 1920
	benchCanvasH             = 1080
	benchOutFPS              = 16
	benchOutBitRate          = 1_000_000
	benchOutFrame            = callrec.SampleRate / benchOutFPS // samples
	benchFont                = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)

// vp8Frame is one encoded frame of an IVF file at its call-clock position.
type vp8Frame struct {
	pos  int64
	key  bool
	data []byte
}

// benchVideoInput is one participant: its VP8 frames and its 16 kHz PCM,
// and the files ffmpeg reads them from.
type benchVideoInput struct {
	name, ivf, pcmPath string
	frames             []vp8Frame
	pcm                []int16
}

func runBenchPipelineVideo(ctx context.Context, out io.Writer, n, seconds, runs int) error {
	if n < 1 || n > 9 || seconds < 1 || runs < 1 {
		return errors.New("--participants (1–9 with --video), --seconds and --runs must be positive")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return errors.New("ffmpeg not found (apt-get install ffmpeg)")
	}
	if _, err := os.Stat(benchFont); err != nil {
		return fmt.Errorf("drawtext needs %s (apt-get install fonts-dejavu-core): %w", benchFont, err)
	}
	work, err := os.MkdirTemp("", "callrec-bench-video-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	inputs, err := makeVideoInputs(ctx, work, n, seconds)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "generated %d participants × %d s of VP8 %dx%d at %d fps + 16 kHz tones; composite %dx%d at %d fps, x264 superfast %d kbit/s, AAC; %d runs each\n",
		n, seconds, benchVideoW, benchVideoH, benchVideoInFPS, benchCanvasW, benchCanvasH, benchOutFPS, benchOutBitRate/1000, runs)

	type result struct{ cpu, wall time.Duration }
	better := func(cur, r result) result {
		if cur.cpu == 0 || r.cpu < cur.cpu {
			return r
		}
		return cur
	}
	var callrecBest, ffmpegBest result
	for run := range runs {
		dir := filepath.Join(work, "run-"+strconv.Itoa(run))
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		start := time.Now()
		cpu, err := cpuWithChildren(func() error { return compositeWithCallrec(ctx, filepath.Join(dir, "callrec.mp4"), inputs, seconds) })
		if err != nil {
			return fmt.Errorf("callrec: %w", err)
		}
		callrecBest = better(callrecBest, result{cpu, time.Since(start)})
		start = time.Now()
		cpu, err = compositeWithFFmpeg(ctx, filepath.Join(dir, "ffmpeg.mp4"), inputs, seconds)
		if err != nil {
			return err
		}
		ffmpegBest = better(ffmpegBest, result{cpu, time.Since(start)})
	}
	minutes := float64(seconds) / 60
	for _, c := range []struct {
		name, what string
		r          result
	}{
		{"callrec", "ffmpeg VP8 decoders + Go compositor + x264 child + AAC child + mp4ff", callrecBest},
		{"ffmpeg ", "one process: overlay, drawtext, amix, libx264, aac", ffmpegBest},
	} {
		fmt.Fprintf(out, "%s (%s): %.2f CPU-s per recording-minute (%.3f cores per recording), real-time factor %.1f×\n",
			c.name, c.what, c.r.cpu.Seconds()/minutes, c.r.cpu.Seconds()/float64(seconds), float64(seconds)/c.r.wall.Seconds())
	}
	x, y := callrecBest.cpu.Seconds()/minutes, ffmpegBest.cpu.Seconds()/minutes
	fmt.Fprintf(out, "pipeline-video: callrec=%.2f ffmpeg=%.2f vs_ffmpeg=%.2f (CPU-s per recording-minute; vs_ffmpeg = ffmpeg/callrec, higher is better)\n", x, y, y/x)
	return nil
}

// makeVideoInputs generates each participant's VP8 (IVF) and PCM files with
// ffmpeg, and reads them back.
func makeVideoInputs(ctx context.Context, dir string, n, seconds int) ([]benchVideoInput, error) {
	inputs := make([]benchVideoInput, n)
	for p := range inputs {
		in := &inputs[p]
		in.name = "participant-" + strconv.Itoa(p)
		in.ivf = filepath.Join(dir, in.name+".ivf")
		in.pcmPath = filepath.Join(dir, in.name+".pcm")
		args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
			"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=%dx%d:r=%d:d=%d,hue=h=%d", benchVideoW, benchVideoH, benchVideoInFPS, seconds, p*40),
			"-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:r=16000:d=%d", 300+170*p, seconds),
			"-map", "0:v", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k", "-g", "60", "-threads", "1", "-f", "ivf", in.ivf,
			"-map", "1:a", "-c:a", "pcm_s16le", "-f", "s16le", "-ac", "1", in.pcmPath}
		if b, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ffmpeg (inputs): %v: %s", err, b)
		}
		var err error
		if in.frames, err = readIVF(in.ivf); err != nil {
			return nil, err
		}
		raw, err := os.ReadFile(in.pcmPath)
		if err != nil {
			return nil, err
		}
		in.pcm = make([]int16, len(raw)/2)
		for i := range in.pcm {
			in.pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	}
	return inputs, nil
}

// readIVF returns the frames of an IVF file, at call-clock positions from
// their timestamps.
func readIVF(path string) ([]vp8Frame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		return nil, fmt.Errorf("%s: not an IVF file", path)
	}
	hdr := int(binary.LittleEndian.Uint16(b[6:]))
	rate, scale := int64(binary.LittleEndian.Uint32(b[16:])), int64(binary.LittleEndian.Uint32(b[20:]))
	if rate == 0 || scale == 0 {
		return nil, fmt.Errorf("%s: IVF time base %d/%d", path, scale, rate)
	}
	var frames []vp8Frame
	for off := hdr; off+12 <= len(b); {
		size := int(binary.LittleEndian.Uint32(b[off:]))
		pts := int64(binary.LittleEndian.Uint64(b[off+4:]))
		off += 12
		if off+size > len(b) || size == 0 {
			return nil, fmt.Errorf("%s: truncated frame", path)
		}
		data := b[off : off+size]
		frames = append(frames, vp8Frame{pos: pts * scale * callrec.SampleRate / rate, key: data[0]&1 == 0, data: data})
		off += size
	}
	if len(frames) == 0 || !frames[0].key {
		return nil, fmt.Errorf("%s: no frames, or the first is not a keyframe", path)
	}
	return frames, nil
}

// compositeWithCallrec writes the composite MP4 the way a mixed audioVideo
// recording does (recorder's avWriter), as fast as the parts go: the VP8
// frames to the compositor's decoders (at most 1 s ahead of the frame
// composed, and each frame composed once its pictures are decoded), the
// speakers' audio to the layout, the mix to AAC, the canvas to x264, both
// into a fragmented MP4.
func compositeWithCallrec(ctx context.Context, path string, inputs []benchVideoInput, seconds int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	mw, err := mp4.NewWriter(f, mp4.Config{FPS: benchOutFPS, SampleRate: callrec.SampleRate, AudioDelay: aac.Delay})
	if err != nil {
		return err
	}
	comp := video.New(video.Config{Log: slog.New(slog.DiscardHandler)})
	defer comp.Close()
	aenc, err := aac.NewEncoder()
	if err != nil {
		return err
	}
	defer aenc.Close()
	venc, err := video.NewEncoder(video.EncoderConfig{Width: benchCanvasW, Height: benchCanvasH, FPS: benchOutFPS, BitRate: benchOutBitRate})
	if err != nil {
		return err
	}
	defer venc.Close()
	for _, in := range inputs {
		comp.SetName(in.name, in.name)
	}
	var vframes int64
	writeVideo := func(au []byte) error {
		err := mw.WriteVideo(au, mw.FrameTime(vframes))
		vframes++
		return err
	}
	next := make([]int, len(inputs)) // each input's next frame to decode
	mix := make([]int16, benchOutFrame)
	total := seconds * benchOutFPS
	for j := range total {
		pos := int64(j*benchOutFrame + benchOutFrame/2)
		for p, in := range inputs {
			for next[p] < len(in.frames) && in.frames[next[p]].pos <= pos+callrec.SampleRate {
				fr := in.frames[next[p]]
				comp.Video(in.name, fr.pos, video.VP8, fr.key, fr.data)
				next[p]++
			}
		}
		if err := waitDecoded(ctx, comp, inputs, pos); err != nil {
			return err
		}
		clear(mix)
		for _, in := range inputs {
			a := min(j*benchOutFrame, len(in.pcm))
			chunk := in.pcm[a:min(a+benchOutFrame, len(in.pcm))]
			comp.Audio(in.name, chunk)
			for i, s := range chunk {
				mix[i] = int16(max(-32768, min(32767, int32(mix[i])+int32(s))))
			}
		}
		if err := aenc.Encode(mix); err != nil {
			return err
		}
		if err := venc.Encode(comp.Compose(pos)); err != nil {
			return err
		}
		if err := venc.AccessUnits(writeVideo); err != nil {
			return err
		}
		if err := aenc.Frames(mw.WriteAudio); err != nil {
			return err
		}
		if j%benchOutFPS == benchOutFPS-1 {
			if err := mw.Flush(); err != nil {
				return err
			}
		}
	}
	if err := venc.Finish(writeVideo); err != nil {
		return err
	}
	if err := aenc.Finish(mw.WriteAudio); err != nil {
		return err
	}
	if vframes != int64(total) {
		return fmt.Errorf("%d frames encoded, want %d", vframes, total)
	}
	if err := mw.Finalize(); err != nil {
		return err
	}
	return f.Close()
}

// waitDecoded waits until every participant's latest frame captured up to
// pos has been decoded.
func waitDecoded(ctx context.Context, comp *video.Compositor, inputs []benchVideoInput, pos int64) error {
	deadline := time.Now().Add(60 * time.Second)
	for _, in := range inputs {
		want := int64(-1)
		for _, fr := range in.frames {
			if fr.pos > pos {
				break
			}
			want = fr.pos
		}
		for {
			got, ok := comp.Decoded(in.name)
			if want < 0 || (ok && got >= want) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: its picture at %d not decoded within 60 s (latest %d)", in.name, want, got)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Microsecond):
			}
		}
	}
	return nil
}

// compositeWithFFmpeg makes the same composite with one ffmpeg process from
// the same files: the grid by overlay, the names by drawtext, the mix by
// amix, x264 and AAC with the callrec encoders' settings. It returns the
// process's CPU time (user+system).
func compositeWithFFmpeg(ctx context.Context, path string, inputs []benchVideoInput, seconds int) (time.Duration, error) {
	n := len(inputs)
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}
	for _, in := range inputs {
		args = append(args, "-c:v", "libvpx", "-f", "ivf", "-i", in.ivf, "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", in.pcmPath)
	}
	var g strings.Builder
	fmt.Fprintf(&g, "color=c=0x202020:s=%dx%d:r=%d:d=%d[bg0];", benchCanvasW, benchCanvasH, benchOutFPS, seconds)
	grid := video.Grid(n, benchCanvasW, benchCanvasH, benchVideoW, benchVideoH)
	for p, in := range inputs {
		fmt.Fprintf(&g, "[%d:v]scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:-1:-1:color=black,"+
			"drawtext=fontfile=%s:text=%s:fontsize=26:fontcolor=white:box=1:boxcolor=black@0.5:x=8:y=h-th-8[v%d];",
			2*p, benchVideoW, benchVideoH, benchVideoW, benchVideoH, benchFont, in.name, p)
		fmt.Fprintf(&g, "[bg%d][v%d]overlay=x=%d:y=%d[bg%d];", p, p, grid[p][0], grid[p][1], p+1)
	}
	fmt.Fprintf(&g, "[bg%d]format=yuv420p[vout];", n)
	for p := range inputs {
		fmt.Fprintf(&g, "[%d:a]", 2*p+1)
	}
	fmt.Fprintf(&g, "amix=inputs=%d:normalize=0[aout]", n)
	gop := strconv.Itoa(2 * benchOutFPS)
	br := strconv.Itoa(benchOutBitRate)
	args = append(args, "-filter_complex", g.String(), "-map", "[vout]", "-map", "[aout]",
		"-c:v", "libx264", "-preset", "superfast", "-tune", "zerolatency", "-threads", "1",
		"-b:v", br, "-maxrate", br, "-bufsize", strconv.Itoa(2*benchOutBitRate),
		"-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-bf", "0", "-profile:v", "high",
		"-c:a", "aac", "-b:a", "48k", "-ar", "16000", "-ac", "1",
		"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-t", strconv.Itoa(seconds), path)
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("ffmpeg: %v: %s", err, b)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// cpuWithChildren returns the CPU time (user+system) this process and the
// children it waited for spent running fn.
func cpuWithChildren(fn func() error) (time.Duration, error) {
	read := func() (time.Duration, error) {
		var self, kids syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
			return 0, err
		}
		if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids); err != nil {
			return 0, err
		}
		return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano()), nil
	}
	return cpuDuring(read, fn)
}
