package g722

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/internal/ffmpegtest"
)

// ffmpegEncode encodes 16 kHz samples with ffmpeg's G.722 encoder.
func ffmpegEncode(t *testing.T, x []int16) []byte {
	return ffmpegtest.Run(t, ffmpegtest.S16LE(x),
		"-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "pipe:0", "-c:a", "g722", "-f", "g722", "pipe:1")
}

// ffmpegDecode decodes G.722 bytes with ffmpeg's decoder.
func ffmpegDecode(t *testing.T, b []byte) []int16 {
	return ffmpegtest.Samples(ffmpegtest.Run(t, b, "-f", "g722", "-i", "pipe:0", "-f", "s16le", "-ar", "16000", "pipe:1"))
}

// decodeFrames decodes b with one Decoder, 20 ms (160 bytes) at a time, as
// RTP packets arrive.
func decodeFrames(b []byte) []int16 {
	d := NewDecoder()
	out := make([]int16, 0, 2*len(b))
	pcm := make([]int16, 320)
	for len(b) > 0 {
		n := d.Decode(pcm, b[:min(160, len(b))])
		out = append(out, pcm[:n]...)
		b = b[n/2:]
	}
	return out
}

// encodeFrames encodes x with one Encoder, 20 ms (320 samples) at a time.
func encodeFrames(x []int16) []byte {
	e := NewEncoder()
	out := make([]byte, 0, len(x)/2)
	frame := make([]byte, 160)
	for len(x) >= 2 {
		n := e.Encode(frame, x[:min(320, len(x))])
		out = append(out, frame[:n]...)
		x = x[2*n:]
	}
	return out
}

// signals are the test inputs at 16 kHz, 2 s each: tones in the low and
// the high band, two at once across the bands, and white noise.
func signals() map[string][]int16 {
	const n = 32000
	mix := make([]int16, n)
	lo, hi := audio.Sine(1000, 0.3, 16000, n), audio.Sine(6000, 0.2, 16000, n)
	for i := range mix {
		mix[i] = lo[i] + hi[i]
	}
	noise := make([]int16, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = int16(rng.NormFloat64() * 3000)
	}
	return map[string][]int16{
		"1000Hz":      audio.Sine(1000, 0.5, 16000, n),
		"6000Hz":      audio.Sine(6000, 0.3, 16000, n),
		"1000+6000Hz": mix,
		"loud440Hz":   audio.Sine(440, 0.99, 16000, n),
		"noise":       noise,
	}
}

// TestDecoderMatchesFFmpeg has ffmpeg encode each signal and requires our
// decoder, fed 20 ms packets, to give ffmpeg's decoder's samples exactly.
func TestDecoderMatchesFFmpeg(t *testing.T) {
	for name, x := range signals() {
		t.Run(name, func(t *testing.T) {
			coded := ffmpegEncode(t, x)
			want := ffmpegDecode(t, coded)
			got := decodeFrames(coded)
			requireSame(t, want, got)
		})
	}
}

// TestDecoderMatchesFFmpegOnRandomBytes decodes arbitrary codes, which drive
// the predictor and step size far from speech, with both.
func TestDecoderMatchesFFmpegOnRandomBytes(t *testing.T) {
	coded := make([]byte, 16000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range coded {
		coded[i] = byte(rng.Uint32())
	}
	requireSame(t, ffmpegDecode(t, coded), decodeFrames(coded))
}

// requireSame requires got to equal want sample for sample, and reports
// the largest difference if not.
func requireSame(t *testing.T, want, got []int16) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d samples, ffmpeg %d", len(got), len(want))
	}
	diff, maxDiff, first := 0, 0, -1
	for i := range want {
		if d := int(got[i]) - int(want[i]); d != 0 {
			diff++
			maxDiff = max(maxDiff, d, -d)
			if first < 0 {
				first = i
			}
		}
	}
	if diff > 0 {
		t.Fatalf("%d of %d samples differ from ffmpeg's (largest by %d, first at %d)", diff, len(want), maxDiff, first)
	}
}

// TestEncoderMatchesFFmpeg requires our encoder, fed 20 ms frames, to give
// ffmpeg's encoder's bytes exactly (ffmpeg without trellis search is the
// recommendation's encoder).
func TestEncoderMatchesFFmpeg(t *testing.T) {
	for name, x := range signals() {
		t.Run(name, func(t *testing.T) {
			want := ffmpegEncode(t, x)
			got := encodeFrames(x)
			if len(got) != len(want) {
				t.Fatalf("%d bytes, ffmpeg %d", len(got), len(want))
			}
			diff := 0
			for i := range want {
				if got[i] != want[i] {
					diff++
				}
			}
			if diff > 0 {
				t.Fatalf("%d of %d bytes differ from ffmpeg's", diff, len(want))
			}
		})
	}
}

// TestOurEncodingDecodesInFFmpeg encodes signals ourselves and requires
// ffmpeg's decoder to give them back. The codec's delay is measured on white
// noise (where only the true delay lines the signals up); then each tone must
// come back at its frequency, its level within 0.5 dB, with an SNR above
// 30 dB in the low band and above 20 dB in the high band, which has only two
// bits per sample.
func TestOurEncodingDecodesInFFmpeg(t *testing.T) {
	const settle = 1600 // the first 100 ms, while the step sizes adapt
	noise := signals()["noise"]
	delay, snr := bestAlignment(noise[settle:], ffmpegDecode(t, encodeFrames(noise))[settle:])
	t.Logf("white noise: SNR %.1f dB at a delay of %d samples", snr, delay)
	if snr < 8 { // half its power is in the 2-bit high band
		t.Errorf("white noise: SNR %.1f dB", snr)
	}
	for _, tc := range []struct {
		freq, amp, minSNR float64
	}{{440, 0.5, 30}, {1000, 0.5, 30}, {3000, 0.3, 30}, {6000, 0.3, 20}} {
		x := audio.Sine(tc.freq, tc.amp, 16000, 32000)
		got := ffmpegDecode(t, encodeFrames(x))
		if len(got) != len(x) {
			t.Fatalf("%v Hz: %d samples, want %d", tc.freq, len(got), len(x))
		}
		x, got = x[settle:len(x)-delay], got[settle+delay:]
		candidates := []float64{300, 440, 1000, 2000, 3000, 5000, 6000, 7000}
		if f, ratio := audio.DetectTone(got, 16000, candidates); f != tc.freq || ratio < 1000 {
			t.Errorf("%v Hz: strongest tone %v Hz (%.0fx the next)", tc.freq, f, ratio)
		}
		level := audio.DBFS(audio.RMS(got)) - audio.DBFS(audio.RMS(x))
		snr := audio.SNR(x, got)
		t.Logf("%v Hz: level %+.2f dB, SNR %.1f dB", tc.freq, level, snr)
		if math.Abs(level) > 0.5 {
			t.Errorf("%v Hz: level differs by %.2f dB", tc.freq, level)
		}
		if snr < tc.minSNR {
			t.Errorf("%v Hz: SNR %.1f dB, want above %v", tc.freq, snr, tc.minSNR)
		}
	}
}

// bestAlignment returns the delay (0…40 samples) at which got best
// reproduces want, and the SNR there.
func bestAlignment(want, got []int16) (delay int, snr float64) {
	snr = math.Inf(-1)
	for d := range 41 {
		if s := audio.SNR(want[:len(want)-d], got[d:]); s > snr {
			delay, snr = d, s
		}
	}
	return delay, snr
}

// TestFrameSizesDoNotMatter requires the same output whether a stream is
// decoded in one call, in 20 ms packets or byte by byte.
func TestFrameSizesDoNotMatter(t *testing.T) {
	coded := encodeFrames(signals()["1000+6000Hz"])
	whole := make([]int16, 2*len(coded))
	NewDecoder().Decode(whole, coded)
	requireSame(t, whole, decodeFrames(coded))
	d := NewDecoder()
	one := make([]int16, 2)
	for i, c := range coded {
		d.Decode(one, []byte{c})
		if one[0] != whole[2*i] || one[1] != whole[2*i+1] {
			t.Fatalf("byte %d decodes differently alone", i)
		}
	}
	d.Reset()
	again := make([]int16, len(whole))
	d.Decode(again, coded)
	requireSame(t, whole, again)
	if n := d.Decode(make([]int16, 5), coded); n != 4 {
		t.Errorf("decoded %d samples into 5", n)
	}
}
