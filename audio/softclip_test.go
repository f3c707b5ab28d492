//go:build !cgo

package audio

import (
	"math"
	"testing"

	"github.com/thesyncim/gopus"
)

// OpusDecoder converts gopus's float output itself; what it gives must be
// what gopus's own 16-bit API gives (libopus's rounding and soft clip), on
// a signal at ordinary levels and on one encoded at full scale, which the
// decoder brings back slightly past it.
func TestOpusDecoderMatchesGopusInt16(t *testing.T) {
	loud := make([]int16, 3*48000)
	for i := range loud {
		ti := float64(i) / 48000
		// A full-scale square-ish wave, clipped: its decoded overshoot
		// passes full scale.
		v := 1.6 * math.Sin(2*math.Pi*220*ti)
		loud[i] = FloatToInt16(max(-1, min(1, v)))
	}
	for _, c := range []struct {
		name   string
		signal []int16
	}{{"ordinary levels", testSignal()}, {"full scale", loud}} {
		enc, err := NewOpusEncoder(48000, 64000)
		if err != nil {
			t.Fatal(err)
		}
		packets, err := enc.EncodeAll(c.signal)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		ref, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(OpusSampleRate, 1))
		if err != nil {
			t.Fatal(err)
		}
		floats, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(OpusSampleRate, 1))
		if err != nil {
			t.Fatal(err)
		}
		a, b := make([]int16, MaxPacketSamples), make([]int16, MaxPacketSamples)
		f := make([]float32, MaxPacketSamples)
		var samples, differ, maxDiff, clipped int
		for k, p := range packets {
			fn, err := floats.Decode(p, f)
			if err != nil {
				t.Fatal(err)
			}
			if !inUnitRange(f[:fn]) {
				clipped++
			}
			n, err := ours.Decode(p, a)
			if err != nil {
				t.Fatalf("%s: packet %d: %v", c.name, k, err)
			}
			m, err := ref.DecodeInt16(p, b)
			if err != nil {
				t.Fatalf("%s: packet %d: gopus: %v", c.name, k, err)
			}
			if n != m {
				t.Fatalf("%s: packet %d: %d samples, gopus %d", c.name, k, n, m)
			}
			for i := range n {
				d := int(a[i]) - int(b[i])
				if d != 0 {
					differ++
					maxDiff = max(maxDiff, abs(d))
				}
			}
			samples += n
		}
		t.Logf("%s: %d samples, %d packets past full scale, %d differ from gopus's int16 (by at most %d)", c.name, samples, clipped, differ, maxDiff)
		if maxDiff > 1 || differ > samples/1000 {
			t.Errorf("%s: %d of %d samples differ from gopus's 16-bit output, by up to %d; want the same (±1 in at most 0.1 %%)",
				c.name, differ, samples, maxDiff)
		}
		if c.name == "full scale" && clipped == 0 {
			t.Errorf("full scale: no packet decoded past full scale: the soft clip was not exercised")
		}
	}
}

// The soft clip keeps a clipped half-wave inside full scale and its peak at
// it, and leaves samples within full scale alone when nothing clipped.
func TestSoftClipBendsPeaksToFullScale(t *testing.T) {
	x := make([]float32, 320)
	for i := range x {
		x[i] = float32(1.5 * math.Sin(2*math.Pi*float64(i)/160))
	}
	var c softClipper
	c.apply(x)
	var peak float32
	for i, v := range x {
		if v > 1 || v < -1 {
			t.Fatalf("sample %d is %v after the soft clip", i, v)
		}
		peak = max(peak, abs32(v))
	}
	if peak < 0.999 {
		t.Errorf("peak %v after the clip, want full scale", peak)
	}
	quiet := []float32{0.5, -0.25, 0.75}
	var d softClipper
	d.apply(quiet)
	if quiet[0] != 0.5 || quiet[1] != -0.25 || quiet[2] != 0.75 {
		t.Errorf("samples within full scale changed: %v", quiet)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
