package cn

import (
	"math"
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/internal/ffmpegtest"
)

// TestNoiseHasItsLevel makes 1 s of noise at several levels (up to −3
// dBov: louder white noise would clip) and measures it: the RMS level in dB below a full-scale sine must be the payload's
// within 0.2 dB (0.5 dB at 70 dBov, where 16-bit rounding shows), and the
// noise must be white: no tone of the common test set stands out.
func TestNoiseHasItsLevel(t *testing.T) {
	fullScaleSine := audio.DBFS(1 / math.Sqrt2)
	buf := make([]int16, 16000)
	for _, level := range []uint8{3, 20, 40, 60, 70} {
		g := NewGenerator(level, 42)
		for i := 0; i < len(buf); i += 320 {
			g.Fill(buf[i : i+320])
		}
		got := fullScaleSine - audio.DBFS(audio.RMS(buf))
		tol := 0.2
		if level >= 70 {
			tol = 0.5
		}
		t.Logf("level -%d dBov: measured -%.2f dBov", level, got)
		if math.Abs(got-float64(level)) > tol {
			t.Errorf("level -%d dBov: measured -%.2f", level, got)
		}
		if _, ratio := audio.DetectTone(buf, 16000, audio.CommonTones); ratio > 20 {
			t.Errorf("level -%d dBov: a tone stands out %.0fx", level, ratio)
		}
	}
	g := NewGenerator(127, 1)
	g.Fill(buf)
	if audio.Peak(buf) > 1.0/32768 {
		t.Errorf("-127 dBov peaks at %v", audio.Peak(buf))
	}
}

// TestStreamsDoNotCorrelate requires two generators seeded differently to
// make different noise.
func TestStreamsDoNotCorrelate(t *testing.T) {
	a, b := make([]int16, 8000), make([]int16, 8000)
	NewGenerator(20, 1).Fill(a)
	NewGenerator(20, 2).Fill(b)
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if r := dot / math.Sqrt(na*nb); math.Abs(r) > 0.05 {
		t.Errorf("correlation %.3f", r)
	}
}

// BenchmarkFill makes one 20 ms frame at 16 kHz per op.
//
//	go test -run '^$' -bench . ./audio/cn
func BenchmarkFill(b *testing.B) {
	g := NewGenerator(40, 1)
	buf := make([]int16, 320)
	b.ReportAllocs()
	ffmpegtest.LoopCPU(b, func() { g.Fill(buf) })
}
