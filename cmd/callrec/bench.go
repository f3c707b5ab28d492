package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
	"github.com/spf13/cobra"
	"github.com/thesyncim/gopus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/recorder"
)

func newBenchCmd() *cobra.Command {
	bench := &cobra.Command{Use: "bench", Short: "Offline benchmarks"}
	var participants, seconds, runs int
	var unmixed, withVideo bool
	pipeline := &cobra.Command{
		Use:   "pipeline",
		Short: "Opus packets → decode → mix/unmix → WAV: callrec vs ffmpeg vs bare decode, in seconds of call per CPU-second",
		Long: `Encodes N participants × T seconds of distinct tones to Opus (48 kHz, 20 ms, 32 kbit/s) once, then measures, in the
same run, the CPU time of:
  callrec: Opus decode at 16 kHz (the server's decoder: libopus, or gopus without cgo) → recorder engine
           (timeline, saturating mix or unmixed channels,
           WAV spool, sha256, metadata, blob store);
  ffmpeg:  the same packets as Ogg Opus files, decoded by libopus and mixed with amix (amerge when
           unmixed) to a 16 kHz WAV; child CPU time (user+system);
  floor:   bare decode of the same packets at 16 kHz, by the same decoder.
Each figure is seconds of call recorded per CPU-second (higher is better); each contender runs
--runs times, interleaved, and its least CPU time counts.

With --video: N participants × T seconds of VP8 at 360p (30 fps) and a tone each, generated once with
ffmpeg, composited as a mixed audioVideo recording (1920x1080 at 16 fps, names, x264 superfast 1 Mbit/s,
AAC 16 kHz, fragmented MP4), as fast as it goes, by:
  callrec: its own pipeline (an ffmpeg VP8 decoder child per participant, the Go compositor, one x264
           child, one AAC child, mp4ff); CPU of the process and its children;
  ffmpeg:  one process doing the same grid (overlay, drawtext, amix, libx264, aac).
Each figure is CPU-seconds per recording-minute (lower is better), with the real-time factor.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if withVideo {
				return runBenchPipelineVideo(cmd.Context(), cmd.OutOrStdout(), participants, seconds, runs)
			}
			return runBenchPipeline(cmd.Context(), cmd.OutOrStdout(), participants, seconds, runs, unmixed)
		},
	}
	pipeline.Flags().IntVar(&participants, "participants", 4, "participants in the call")
	pipeline.Flags().IntVar(&seconds, "seconds", 60, "seconds of call")
	pipeline.Flags().IntVar(&runs, "runs", 3, "runs of each contender; the least CPU time counts")
	pipeline.Flags().BoolVar(&unmixed, "unmixed", false, "one channel per participant (ffmpeg: amerge)")
	pipeline.Flags().BoolVar(&withVideo, "video", false, "composite VP8 video to a mixed audioVideo MP4 instead (callrec vs one ffmpeg)")
	bench.AddCommand(pipeline, newBenchLiveCmd())
	return bench
}

func runBenchPipeline(ctx context.Context, out io.Writer, n, seconds, runs int, unmixed bool) error {
	if n < 1 || seconds < 1 || runs < 1 {
		return errors.New("--participants, --seconds and --runs must be positive")
	}
	work, err := os.MkdirTemp("", "callrec-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	packets, err := encodeTones(n, seconds)
	if err != nil {
		return err
	}
	layout := "mixed"
	if unmixed {
		layout = "unmixed"
	}
	fmt.Fprintf(out, "encoded %d participants × %d s (%s): %d Opus packets; %d runs each\n", n, seconds, layout, n*len(packets[0]), runs)

	best := func(cur, d time.Duration) time.Duration {
		if cur == 0 || d < cur {
			return d
		}
		return cur
	}
	var floorCPU, callrecCPU, ffmpegCPU time.Duration
	for run := range runs {
		d, err := cpuOf(func() error { return decodeOnly(packets) })
		if err != nil {
			return err
		}
		floorCPU = best(floorCPU, d)
		d, err = cpuOf(func() error {
			return recordWithEngine(ctx, filepath.Join(work, "callrec-"+strconv.Itoa(run)), packets, unmixed)
		})
		if err != nil {
			return err
		}
		callrecCPU = best(callrecCPU, d)
		d, err = runFFmpeg(ctx, filepath.Join(work, "ffmpeg-"+strconv.Itoa(run)), packets, unmixed)
		if err != nil {
			return err
		}
		ffmpegCPU = best(ffmpegCPU, d)
	}
	fmt.Fprintf(out, "floor   (Opus decode at 16 kHz):                 %.3f CPU-s\n", floorCPU.Seconds())
	fmt.Fprintf(out, "callrec (Opus decode + recorder engine → WAV):   %.3f CPU-s\n", callrecCPU.Seconds())
	fmt.Fprintf(out, "ffmpeg  (libopus decode + amix/amerge → WAV):    %.3f CPU-s\n", ffmpegCPU.Seconds())

	callSeconds := float64(seconds)
	x := callSeconds / callrecCPU.Seconds()
	y := callSeconds / ffmpegCPU.Seconds()
	z := callSeconds / floorCPU.Seconds()
	fmt.Fprintf(out, "pipeline: callrec=%.1f ffmpeg=%.1f floor=%.1f vs_ffmpeg=%.2f vs_floor=%.2f\n", x, y, z, x/y, x/z)
	return nil
}

// encodeTones returns each participant's Opus packets (20 ms at 48 kHz) of a
// tone of its own, amplitude-modulated like syllables.
func encodeTones(n, seconds int) ([][][]byte, error) {
	out := make([][][]byte, n)
	pcm := make([]float32, 960)
	buf := make([]byte, 4000)
	for p := range n {
		enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: 48000, Channels: 1, Application: gopus.ApplicationVoIP})
		if err != nil {
			return nil, err
		}
		if err := enc.SetBitrate(32000); err != nil {
			return nil, err
		}
		freq := 300 + 170*float64(p)
		for k := range seconds * 50 {
			for i := range pcm {
				t := float64(k*960+i) / 48000
				env := 0.5 + 0.5*math.Sin(2*math.Pi*3*t+float64(p))
				pcm[i] = float32(0.25 * env * math.Sin(2*math.Pi*freq*t))
			}
			m, err := enc.Encode(pcm, buf)
			if err != nil {
				return nil, fmt.Errorf("encode: %w", err)
			}
			out[p] = append(out[p], append([]byte(nil), buf[:m]...))
		}
	}
	return out, nil
}

func decodeOnly(packets [][][]byte) error {
	pcm := make([]int16, 5760)
	for _, ps := range packets {
		d, err := audio.NewOpusDecoder()
		if err != nil {
			return err
		}
		for _, pkt := range ps {
			if _, err := d.Decode(pkt, pcm); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchSource is a MediaSource for one offline call.
type benchSource struct {
	mu  sync.Mutex
	sub callrec.MediaSubscriber
}

func (s *benchSource) Subscribe(_ string, sub callrec.MediaSubscriber) callrec.MediaSubscription {
	s.mu.Lock()
	s.sub = sub
	s.mu.Unlock()
	return callrec.MediaSubscription{Cancel: func() { s.mu.Lock(); s.sub = nil; s.mu.Unlock() }}
}

func (s *benchSource) Budget() callmedia.Budget { return callmedia.DefaultBudget }

func recordWithEngine(ctx context.Context, dir string, packets [][][]byte, unmixed bool) error {
	store, err := blob.OpenDir(filepath.Join(dir, "blobs"))
	if err != nil {
		return err
	}
	defer store.Close()
	var mu sync.Mutex
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	src := &benchSource{}
	n := len(packets)
	eng, err := recorder.New(recorder.Config{DataDir: dir, Blob: store, Media: src, Clock: clock,
		MaxUnmixedChannels: max(n, callrec.MaxUnmixedChannels), QueueFrames: 64 * n})
	if err != nil {
		return err
	}
	defer eng.Close()
	spec := callrec.RecordingSpec{ServerCallID: "bench", Content: callrec.ContentAudio, Format: callrec.FormatWav, Channel: callrec.ChannelMixed}
	if unmixed {
		spec.Channel = callrec.ChannelUnmixed
	}
	if err := eng.Start(ctx, &callrec.Recording{ID: "bench", Spec: spec, StartedAt: t0}); err != nil {
		return err
	}
	decs := make([]*audio.OpusDecoder, n)
	names := make([]string, n)
	for p := range decs {
		if decs[p], err = audio.NewOpusDecoder(); err != nil {
			return err
		}
		names[p] = "participant-" + strconv.Itoa(p)
	}
	pcm := make([]int16, 5760)
	for k := range packets[0] {
		mu.Lock()
		now = t0.Add(time.Duration(k+1) * 20 * time.Millisecond)
		mu.Unlock()
		for p, d := range decs {
			m, err := d.Decode(packets[p][k], pcm)
			if err != nil {
				return err
			}
			src.sub.OnFrame(callrec.Frame{Participant: names[p], Pos: int64(k) * callrec.FrameSamples, Samples: pcm[:m]})
		}
		if k%32 == 31 { // keep the queue bounded: a live call is paced by time
			if err := eng.Flush(ctx, "bench"); err != nil {
				return err
			}
		}
	}
	if st, err := eng.Stats("bench"); err == nil && st.QueueDropped+st.LateSamples+st.DuplicateSamples > 0 {
		return fmt.Errorf("bench recording dropped audio: %+v", st)
	}
	_, err = eng.Stop(ctx, "bench", callrec.EndReasonSessionEnded)
	return err
}

func runFFmpeg(ctx context.Context, dir string, packets [][][]byte, unmixed bool) (time.Duration, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return 0, errors.New("ffmpeg not found (apt-get install ffmpeg)")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}
	for p, ps := range packets {
		path := filepath.Join(dir, fmt.Sprintf("p%d.ogg", p))
		if err := writeOgg(path, ps); err != nil {
			return 0, err
		}
		args = append(args, "-c:a", "libopus", "-i", path)
	}
	n := len(packets)
	switch {
	case n == 1:
	case unmixed:
		args = append(args, "-filter_complex", fmt.Sprintf("amerge=inputs=%d", n))
	default:
		args = append(args, "-filter_complex", fmt.Sprintf("amix=inputs=%d:normalize=0", n), "-ac", "1")
	}
	args = append(args, "-ar", "16000", "-c:a", "pcm_s16le", filepath.Join(dir, "out.wav"))
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("ffmpeg: %v: %s", err, b)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func writeOgg(path string, packets [][]byte) error {
	w, err := oggwriter.New(path, 48000, 1)
	if err != nil {
		return err
	}
	for k, pkt := range packets {
		err := w.WriteRTP(&rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(k), Timestamp: uint32(k * 960), SSRC: 1},
			Payload: pkt,
		})
		if err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// cpuOf returns the CPU time (user+system, all threads) this process spent
// running fn.
func cpuOf(fn func() error) (time.Duration, error) {
	runtime.GC()
	return cpuDuring(processCPU, fn)
}

// cpuDuring returns how much the CPU time read grew while fn ran.
func cpuDuring(read func() (time.Duration, error), fn func() error) (time.Duration, error) {
	before, err := read()
	if err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	after, err := read()
	return after - before, err
}

func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
