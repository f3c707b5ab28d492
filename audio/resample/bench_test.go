package resample

import (
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/internal/ffmpegtest"
)

// BenchmarkUpsample resamples one 20 ms frame (160 samples at 8 kHz → 320
// at 16 kHz) per op.
//
//	go test -run '^$' -bench Upsample ./audio/resample
func BenchmarkUpsample(b *testing.B) {
	in := audio.Sine(1000, 0.5, 8000, 160)
	out := make([]int16, 320)
	u := NewUpsampler()
	b.ReportAllocs()
	ffmpegtest.LoopCPU(b, func() { u.Process(out, in) })
}

// BenchmarkUpsampleVsFFmpeg resamples the same 60 s of 8 kHz audio (a tone
// and noise) with the Upsampler, in 20 ms frames on a locked thread, and
// with ffmpeg's default resampler (`ffmpeg -f s16le -ar 8000 -ac 1
// -stream_loop 9 -i in.raw -ar 16000 -f s16le out.raw`, CPU per pass, least
// of 3 runs, less its start-up on 200 ms of the same file), and reports the
// CPU time of each and their ratio.
//
//	go test -run '^$' -bench UpsampleVsFFmpeg -benchtime 5x ./audio/resample
func BenchmarkUpsampleVsFFmpeg(b *testing.B) {
	x := ffmpegtest.ToneAndNoise(8000, 60)
	out := make([]int16, 320)
	u := NewUpsampler()
	ffmpegtest.CompareCPU(b, ffmpegtest.Job{
		Name: "60 s at 8 kHz to 16 kHz",
		Ours: func() {
			for i := 0; i < len(x); i += 160 {
				u.Process(out, x[i:i+160])
			}
		},
		File:         ffmpegtest.S16LE(x),
		StartupBytes: 2 * 1600,
		InArgs:       []string{"-f", "s16le", "-ar", "8000", "-ac", "1"},
		OutArgs:      []string{"-ar", "16000", "-f", "s16le"},
	})
}
