package resample

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/callrec/callrec/audio"
)

// upsampleFrames resamples x in frames of the given sizes (cycled), as a
// stream of packets arrives.
func upsampleFrames(x []int16, sizes ...int) []int16 {
	u := NewUpsampler()
	out := make([]int16, 2*len(x))
	for i, k := 0, 0; i < len(x); k++ {
		n := min(sizes[k%len(sizes)], len(x)-i)
		u.Process(out[2*i:], x[i:i+n])
		i += n
	}
	return out
}

// TestToneKeepsFrequencyAndLevel upsamples tones across the telephone band
// in 20 ms frames and compares each with the same tone generated at 16 kHz
// (shifted by Delay): frequency, level within 0.05 dB, and the two must
// agree to better than 50 dB SNR.
func TestToneKeepsFrequencyAndLevel(t *testing.T) {
	for _, f := range []float64{300, 997, 1993, 3000, 3400} {
		in := audio.Sine(f, 0.5, 8000, 8000)
		got := upsampleFrames(in, 160)[Delay+320:] // past the start-up
		want := audio.Sine(f, 0.5, 16000, 16000)[320 : 16000-Delay]
		level := audio.DBFS(audio.RMS(got)) - audio.DBFS(audio.RMS(want))
		snr := audio.SNR(want, got)
		t.Logf("%4.0f Hz: level %+.3f dB, SNR %.1f dB against the tone made at 16 kHz", f, level, snr)
		if math.Abs(level) > 0.05 {
			t.Errorf("%v Hz: level differs by %.3f dB", f, level)
		}
		if snr < 50 {
			t.Errorf("%v Hz: SNR %.1f dB", f, snr)
		}
		if got, _ := audio.DetectTone(got, 16000, []float64{f, 8000 - f, f + 500, f / 2}); got != f {
			t.Errorf("%v Hz: strongest tone at %v Hz", f, got)
		}
	}
}

// TestNoImages requires the image that doubling the rate creates (at
// 8000−f Hz) to be at least 60 dB below the tone, for tones up to 3 kHz,
// and 50 dB at 3.4 kHz (the top of the telephone band, closest to the
// filter's edge).
func TestNoImages(t *testing.T) {
	for _, tc := range []struct{ f, minDB float64 }{{300, 60}, {1000, 60}, {2000, 60}, {3000, 60}, {3400, 50}} {
		got := upsampleFrames(audio.Sine(tc.f, 0.5, 8000, 8000), 160)[320:]
		image := 8000 - tc.f
		db := 10 * math.Log10(audio.TonePower(got, 16000, tc.f)/audio.TonePower(got, 16000, image))
		t.Logf("%4.0f Hz: image at %4.0f Hz is %.1f dB down", tc.f, image, db)
		if db < tc.minDB {
			t.Errorf("%v Hz: image at %v Hz only %.1f dB down", tc.f, image, db)
		}
	}
}

// TestFrameBoundariesAreSeamless requires the output to be the same,
// sample for sample, whether a stream is resampled in one piece, in 20 ms
// frames, in odd sizes, or sample by sample: the filter's history carries
// across calls, so frame boundaries leave no mark.
func TestFrameBoundariesAreSeamless(t *testing.T) {
	x := make([]int16, 8000)
	rng := rand.New(rand.NewPCG(5, 6))
	tone := audio.Sine(1000, 0.5, 8000, len(x))
	for i := range x {
		x[i] = tone[i] + int16(rng.NormFloat64()*1000)
	}
	whole := upsampleFrames(x, len(x))
	for _, sizes := range [][]int{{160}, {1}, {7, 300, 13, 255, 257}} {
		got := upsampleFrames(x, sizes...)
		for i := range whole {
			if got[i] != whole[i] {
				t.Fatalf("frames of %v: sample %d is %d, %d in one piece", sizes, i, got[i], whole[i])
			}
		}
	}
}

// TestNoClickAtFrameBoundaries looks at the signal itself: a 1 kHz tone
// resampled in 20 ms frames must not jump at any boundary by more than it
// moves anywhere else.
func TestNoClickAtFrameBoundaries(t *testing.T) {
	got := upsampleFrames(audio.Sine(1000, 0.5, 8000, 8000), 160)[2*Delay:]
	var maxStep int
	for i := 1; i < len(got); i++ {
		maxStep = max(maxStep, abs(int(got[i])-int(got[i-1])))
	}
	// A sine of amplitude A at f moves at most 2πf/rate·A per sample.
	limit := int(math.Ceil(2*math.Pi*1000/16000*0.5*32768)) + 2
	if maxStep > limit {
		t.Errorf("largest step between samples %d, a smooth 1 kHz sine moves at most %d", maxStep, limit)
	}
}

func abs(x int) int { return max(x, -x) }

// TestFullScaleSaturates feeds a full-scale square wave, whose filtered
// overshoot exceeds 16 bits, and requires saturation rather than wrap: a
// wrapped sample would jump by some 65000 from its neighbour, while the
// filter spreads each edge of the square over several samples.
func TestFullScaleSaturates(t *testing.T) {
	x := make([]int16, 800)
	for i := range x {
		x[i] = 32767
		if i/20%2 == 1 {
			x[i] = -32768
		}
	}
	got := upsampleFrames(x, 160)
	peak := 0
	for i := 1; i < len(got); i++ {
		if step := abs(int(got[i]) - int(got[i-1])); step > 50000 {
			t.Fatalf("sample %d: %d after %d: wrapped", i, got[i], got[i-1])
		}
		peak = max(peak, abs(int(got[i])))
	}
	if peak < 32767 {
		t.Errorf("peak %d: the overshoot never reached full scale", peak)
	}
	u := NewUpsampler()
	u.Process(make([]int16, 10), x[:5])
	u.Reset()
	if n := u.Process(make([]int16, 7), x); n != 6 {
		t.Errorf("wrote %d samples into 7", n)
	}
}
