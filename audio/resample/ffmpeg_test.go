package resample

import (
	"math"
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/internal/ffmpegtest"
)

// ffmpegUpsample resamples 8 kHz samples to 16 kHz with ffmpeg's default
// resampler (libswresample).
func ffmpegUpsample(t testing.TB, x []int16) []int16 {
	return ffmpegtest.Samples(ffmpegtest.Run(t, ffmpegtest.S16LE(x),
		"-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "pipe:0", "-ar", "16000", "-f", "s16le", "pipe:1"))
}

// TestAgreesWithFFmpeg resamples a two-tone signal with both and requires
// them to agree once our delay is taken out (ffmpeg compensates its own):
// the same level within 0.1 dB, and the difference (two different
// low-pass filters) more than 40 dB down.
func TestAgreesWithFFmpeg(t *testing.T) {
	x := audio.Sine(697, 0.3, 8000, 16000)
	for i, v := range audio.Sine(1209, 0.3, 8000, len(x)) {
		x[i] += v
	}
	want := ffmpegUpsample(t, x)
	if len(want) != 2*len(x) {
		t.Fatalf("ffmpeg gave %d samples for %d", len(want), len(x))
	}
	got := upsampleFrames(x, 160)
	got, want = got[Delay+320:], want[320:len(want)-Delay]
	level := audio.DBFS(audio.RMS(got)) - audio.DBFS(audio.RMS(want))
	snr := audio.SNR(want, got)
	t.Logf("level %+.3f dB, difference %.1f dB down", level, snr)
	if math.Abs(level) > 0.1 || snr < 40 {
		t.Errorf("level %+.3f dB, difference only %.1f dB down", level, snr)
	}
}
