package audio

import (
	"bytes"
	"math"
	"testing"
)

func TestDetectToneFindsSine(t *testing.T) {
	for _, f := range CommonTones {
		x := Sine(f, 0.5, 16000, 16000)
		got, ratio := DetectTone(x, 16000, CommonTones)
		if got != f || ratio < 100 {
			t.Errorf("sine %v Hz: detected %v Hz, ratio %.1f", f, got, ratio)
		}
	}
}

func TestTonePowerOfFullScaleSine(t *testing.T) {
	p := TonePower(Sine(1000, 1, 16000, 16000), 16000, 1000)
	if math.Abs(p-0.25) > 0.01 {
		t.Fatalf("power %v, want about 0.25", p)
	}
}

func TestLevels(t *testing.T) {
	x := Sine(440, 0.5, 16000, 16000)
	if rms := RMS(x); math.Abs(rms-0.5/math.Sqrt2) > 0.001 {
		t.Errorf("RMS %v, want %v", rms, 0.5/math.Sqrt2)
	}
	if db := DBFS(RMS(x)); math.Abs(db-(-9.03)) > 0.05 {
		t.Errorf("dBFS %v, want -9.03", db)
	}
	if !math.IsInf(DBFS(RMS(make([]int16, 10))), -1) {
		t.Error("silence should be -Inf dBFS")
	}
	if p := Peak(x); math.Abs(p-0.5) > 0.001 {
		t.Errorf("peak %v", p)
	}
	y := append(make([]int16, 100), x...)
	if i := FirstAbove(y, 0.1); i < 100 || i > 105 {
		t.Errorf("FirstAbove %d, want just after 100", i)
	}
}

func TestWAVRoundTrip(t *testing.T) {
	in := PCM{Rate: 48000, Channels: 2, Samples: []int16{1, -1, 32767, -32768, 5, 6}}
	var buf bytes.Buffer
	if err := WriteWAV(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadWAV(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if out.Rate != 48000 || out.Channels != 2 || len(out.Samples) != 6 || out.Samples[3] != -32768 {
		t.Fatalf("round trip: %+v", out)
	}
	if m := out.Mono(); len(m) != 3 || m[0] != 0 || m[2] != 5 {
		t.Fatalf("mono: %v", m)
	}
	if _, err := ReadWAV(bytes.NewReader([]byte("RIFF\x00\x00\x00\x00WAVEjunk"))); err == nil {
		t.Fatal("truncated file accepted")
	}
}
