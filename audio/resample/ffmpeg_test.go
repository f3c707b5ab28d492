package resample

import (
	"math"
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
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

// TestG711LegAgainstFFmpeg runs a G.711 leg's whole audio path on the same
// packets two ways: ffmpeg encodes a 3 kHz tone to µ-law and A-law; ours
// decodes them (g711) and upsamples them in 20 ms frames, ffmpeg decodes
// and resamples them (`-f mulaw -ar 8000 -i … -ar 16000`). The levels must
// agree within 0.5 dB, and in ours nothing above 4 kHz (scanned every 50 Hz
// from 4.5 to 7.95 kHz, the 5 kHz image among them) may come within 50 dB
// of the tone.
func TestG711LegAgainstFFmpeg(t *testing.T) {
	tone := audio.Sine(3000, 0.5, 8000, 16000)
	for _, law := range []struct {
		law    g711.Law
		format string
	}{{g711.PCMU, "mulaw"}, {g711.PCMA, "alaw"}} {
		t.Run(law.law.String(), func(t *testing.T) {
			coded := ffmpegtest.Run(t, ffmpegtest.S16LE(tone),
				"-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "pipe:0", "-f", law.format, "pipe:1")
			want := ffmpegtest.Samples(ffmpegtest.Run(t, coded,
				"-f", law.format, "-ar", "8000", "-ac", "1", "-i", "pipe:0", "-ar", "16000", "-f", "s16le", "pipe:1"))
			u := NewUpsampler()
			pcm8 := make([]int16, 160)
			got := make([]int16, 0, 2*len(coded))
			for i := 0; i < len(coded); i += 160 {
				n := law.law.Decode(pcm8, coded[i:min(i+160, len(coded))])
				out := make([]int16, 2*n)
				u.Process(out, pcm8[:n])
				got = append(got, out...)
			}
			got, want = got[Delay+320:], want[320:len(want)-Delay]
			level := audio.DBFS(audio.RMS(got)) - audio.DBFS(audio.RMS(want))
			tonePower := audio.TonePower(got, 16000, 3000)
			worst, worstAt := math.Inf(-1), 0.0
			for f := 4500.0; f < 8000; f += 50 {
				if db := 10 * math.Log10(audio.TonePower(got, 16000, f)/tonePower); db > worst {
					worst, worstAt = db, f
				}
			}
			t.Logf("level %+.3f dB from ffmpeg's; strongest above 4.5 kHz: %.1f dB at %v Hz (5 kHz image %.1f dB)",
				level, worst, worstAt, 10*math.Log10(audio.TonePower(got, 16000, 5000)/tonePower))
			if math.Abs(level) > 0.5 {
				t.Errorf("level differs from ffmpeg's by %.3f dB", level)
			}
			if worst > -50 {
				t.Errorf("%.1f dB at %v Hz relative to the tone", worst, worstAt)
			}
		})
	}
}
