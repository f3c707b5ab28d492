package audio

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// benchSeconds of audio are decoded per benchmark iteration.
const benchSeconds = 30

// BenchmarkOpusDecodeStreams measures how many live participant streams one
// core decodes in real time (Opus 20 ms packets at 32 kbit/s → 16 kHz mono),
// and puts beside it, in the same run and on the same packets written as an
// Ogg Opus file, libopus doing the same job: `opusdec --rate 16000` (native
// 16 kHz decode) and `ffmpeg -c:a libopus … -ar 16000` (48 kHz decode plus
// resampling). CPU time is user+system from the kernel: of this thread for
// gopus, of the child for the tools (best of 3, minus the same tool's
// start-up on a 200 ms file).
//
//	go test -run '^$' -bench OpusDecodeStreams -benchtime 5x ./audio
func BenchmarkOpusDecodeStreams(b *testing.B) {
	var signal []int16
	for range benchSeconds / 3 {
		signal = append(signal, testSignal()...)
	}
	enc, err := NewOpusEncoder(48000, 32000)
	if err != nil {
		b.Fatal(err)
	}
	packets, err := enc.EncodeAll(signal)
	if err != nil {
		b.Fatal(err)
	}
	pcm := make([]int16, MaxPacketSamples)
	// CPU time of this thread, so that gopus is measured like the child
	// processes (CPU, not wall time on a busy machine).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpuStart := threadCPU(b)
	b.ResetTimer()
	for b.Loop() {
		dec, err := NewOpusDecoder()
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range packets {
			if _, err := dec.Decode(p, pcm); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	perRun := (threadCPU(b) - cpuStart) / time.Duration(b.N)
	streams := benchSeconds * float64(time.Second) / float64(perRun)
	b.ReportMetric(streams, "streams/core")
	b.ReportMetric(float64(perRun)/float64(len(packets))/1e3, "µs/packet")

	dir := b.TempDir()
	full := filepath.Join(dir, "full.opus")
	one := filepath.Join(dir, "one.opus")
	writeOgg(b, full, packets)
	writeOgg(b, one, packets[:10]) // 200 ms: more than the 80 ms pre-skip
	tools := []struct {
		name string
		args func(in string) []string
	}{
		{"opusdec", func(in string) []string {
			return []string{"opusdec", "--quiet", "--rate", "16000", "--no-dither", in, filepath.Join(dir, "out.raw")}
		}},
		{"ffmpeg", func(in string) []string {
			return []string{"ffmpeg", "-nostdin", "-v", "error", "-c:a", "libopus", "-i", in, "-ar", "16000", "-f", "s16le", "-y", filepath.Join(dir, "out.raw")}
		}},
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool.name); err != nil {
			b.Logf("%s not installed: no comparison", tool.name)
			continue
		}
		gross := childCPU(b, tool.args(full))
		startup := childCPU(b, tool.args(one))
		net := gross - startup
		if net <= 0 {
			b.Logf("%s: start-up (%s) swamps the decode (%s)", tool.name, startup, gross)
			continue
		}
		toolStreams := benchSeconds * float64(time.Second) / float64(net)
		b.ReportMetric(toolStreams, tool.name+"-streams/core")
		b.ReportMetric(streams/toolStreams, "ratio-vs-"+tool.name)
		b.Logf("%s: %.0f streams/core net (%s CPU for %d s, start-up %s); gopus %.0f streams/core: ratio %.2f",
			tool.name, toolStreams, net, benchSeconds, startup, streams, streams/toolStreams)
	}
}

// threadCPU returns the calling OS thread's user+system CPU time.
func threadCPU(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childCPU runs a command three times and returns its least user+system
// CPU time.
func childCPU(b *testing.B, args []string) time.Duration {
	b.Helper()
	best := time.Duration(-1)
	for range 3 {
		cmd := exec.Command(args[0], args[1:]...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if best < 0 || cpu < best {
			best = cpu
		}
	}
	return best
}
