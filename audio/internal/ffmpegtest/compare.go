package ffmpegtest

import (
	"math/rand/v2"
	"testing"

	"github.com/callrec/callrec/audio"
)

// ToneAndNoise returns seconds of a 440 Hz tone at -10 dBFS with white noise
// 36 dB below full scale, at rate: a signal that keeps every part of a codec
// busy, for benchmarks.
func ToneAndNoise(rate, seconds int) []int16 {
	x := audio.Sine(440, 0.3, rate, rate*seconds)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range x {
		x[i] += int16(rng.NormFloat64() * 500)
	}
	return x
}

// Job is the same piece of work for our code and for ffmpeg: Ours does it
// once; ffmpeg does it on File (with InArgs before "-i" and OutArgs after),
// whose first StartupBytes measure ffmpeg's start-up.
type Job struct {
	Name            string
	Ours            func()
	File            []byte
	StartupBytes    int
	InArgs, OutArgs []string
}

// CompareCPU runs job.Ours in the benchmark loop on a locked thread, then
// has ffmpeg do the same job (NetCPU, the file read 10 times over), and
// reports both CPU times per job and their ratio.
func CompareCPU(b *testing.B, job Job) {
	ours := LoopCPU(b, job.Ours)
	theirs, cmdline := NetCPU(b, job.File, job.StartupBytes, 10, job.InArgs, job.OutArgs)
	ratio := theirs.Seconds() / ours.Seconds()
	b.ReportMetric(ours.Seconds()*1e3, "ms-ours")
	b.ReportMetric(theirs.Seconds()*1e3, "ms-ffmpeg")
	b.ReportMetric(ratio, "ffmpeg/ours")
	b.Logf("%s: ours %v CPU, ffmpeg %v CPU net of start-up (%s): ffmpeg/ours %.2f", job.Name, ours, theirs, cmdline, ratio)
}
