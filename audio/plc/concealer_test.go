package plc

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/callrec/callrec/audio"
)

const rate = 16000

// voiced is a vowel-like signal at 16 kHz: harmonics of a pitch around
// 125 Hz (a period near 8 ms) that wavers by 2 % three times a second,
// falling in level with the harmonic number, plus noise 40 dB down. Being
// not quite periodic, it cannot be concealed perfectly.
func voiced(n int) []int16 {
	x := make([]int16, n)
	rng := rand.New(rand.NewPCG(11, 12))
	var phase float64
	for i := range x {
		t := float64(i) / rate
		phase += 2 * math.Pi * 125 * (1 + 0.02*math.Sin(2*math.Pi*3*t)) / rate
		var v float64
		for h := 1; h <= 12; h++ {
			v += 0.3 / float64(h) * math.Sin(float64(h)*phase+float64(h))
		}
		x[i] = audio.FloatToInt16(v*0.7 + rng.NormFloat64()*0.005)
	}
	return x
}

// run passes x through a Concealer in 20 ms frames, losing the frames
// whose index is in lost, and returns the output.
func run(x []int16, lost map[int]bool) []int16 {
	c := New(rate)
	out := make([]int16, len(x))
	const frame = 320
	for f := 0; f*frame < len(x); f++ {
		dst := out[f*frame : (f+1)*frame]
		if lost[f] {
			c.Conceal(dst)
			continue
		}
		copy(dst, x[f*frame:])
		c.Good(dst)
	}
	return out
}

// maxStep is the largest jump between neighbouring samples.
func maxStep(x []int16) int {
	m := 0
	for i := 1; i < len(x); i++ {
		d := int(x[i]) - int(x[i-1])
		m = max(m, d, -d)
	}
	return m
}

// TestConcealsOneLostFrame loses one 20 ms frame of a voiced sound: the
// made-up frame must resemble the lost one (SNR above 10 dB over its first
// 10 ms, where silence would give 0 dB) and carry on at its level, and
// nowhere may the output jump further between two samples than the real
// signal does by more than half again.
func TestConcealsOneLostFrame(t *testing.T) {
	x := voiced(rate)
	got := run(x, map[int]bool{10: true})
	lostFrame, want := got[3200:3520], x[3200:3520]
	snr := audio.SNR(want[:160], lostFrame[:160])
	level := audio.DBFS(audio.RMS(lostFrame)) - audio.DBFS(audio.RMS(want))
	t.Logf("concealed frame: SNR %.1f dB over its first 10 ms, level %+.1f dB; steps %d, real %d", snr, level, maxStep(got), maxStep(x))
	if snr < 10 {
		t.Errorf("SNR %.1f dB over the first 10 ms", snr)
	}
	if level < -3 || level > 1 {
		t.Errorf("level %+.1f dB", level)
	}
	if maxStep(got) > maxStep(x)*3/2 {
		t.Errorf("a step of %d, the signal's largest is %d: a click", maxStep(got), maxStep(x))
	}
	for i := range 3200 {
		if got[i] != x[i] {
			t.Fatalf("sample %d before the loss changed", i)
		}
	}
}

// TestLongGapFadesToSilence loses 100 ms: the made-up audio must fall in
// level each 10 ms from 10 ms on, be silent from 60 ms, and the audio after
// the gap must fade back in without a click.
func TestLongGapFadesToSilence(t *testing.T) {
	x := voiced(rate)
	got := run(x, map[int]bool{10: true, 11: true, 12: true, 13: true, 14: true})
	gap := got[3200:4800]
	prev := math.Inf(1)
	for k := 160; k < 960; k += 160 {
		l := audio.RMS(gap[k : k+160])
		if l >= prev {
			t.Errorf("%d–%d ms into the gap: level %.4f, not below the 10 ms before (%.4f)", k/16, k/16+10, l, prev)
		}
		prev = l
	}
	for k := 960; k < len(gap); k++ {
		if gap[k] != 0 {
			t.Fatalf("%.1f ms into the gap: %d, want silence", float64(k)/16, gap[k])
		}
	}
	if maxStep(got) > maxStep(x)*3/2 {
		t.Errorf("a step of %d, the signal's largest is %d: a click", maxStep(got), maxStep(x))
	}
	if got[4800+200] != x[4800+200] {
		t.Error("the audio after the gap is still blended 12.5 ms in")
	}
}

// TestWithoutHistoryConcealsWithSilence loses the first frames of a stream.
func TestWithoutHistoryConcealsWithSilence(t *testing.T) {
	c := New(8000)
	dst := []int16{1, 2, 3}
	c.Conceal(dst)
	if dst[0] != 0 || dst[1] != 0 || dst[2] != 0 {
		t.Errorf("%v, want silence", dst)
	}
	frame := voiced(160)
	c.Good(frame) // fades in from that silence
	if frame[0] != 0 && abs(int(frame[0])) > abs(int(voiced(1)[0])) {
		t.Errorf("first sample %d after silence", frame[0])
	}
	c.Reset()
	c.Conceal(dst)
	if dst[0] != 0 {
		t.Errorf("after Reset: %v", dst)
	}
}

func abs(x int) int { return max(x, -x) }

// BenchmarkGood passes one 20 ms frame at 16 kHz per op.
//
//	go test -run '^$' -bench . ./audio/plc
func BenchmarkGood(b *testing.B) {
	c := New(rate)
	frame := voiced(320)
	b.ReportAllocs()
	for b.Loop() {
		c.Good(frame)
	}
}

// BenchmarkConceal conceals one 20 ms frame at 16 kHz after a good one per
// op (the pitch search included).
func BenchmarkConceal(b *testing.B) {
	c := New(rate)
	x := voiced(1600)
	c.Good(x)
	frame := make([]int16, 320)
	b.ReportAllocs()
	for b.Loop() {
		c.Conceal(frame)
		c.Good(x[1280:])
	}
}

// FuzzConcealer feeds arbitrary audio with arbitrary losses and frame
// sizes: it must never panic.
func FuzzConcealer(f *testing.F) {
	f.Add([]byte{1, 2, 3, 200, 5}, uint16(320), uint8(8000/8000))
	f.Fuzz(func(t *testing.T, data []byte, size uint16, rateSel uint8) {
		c := New([]int{8000, 16000, 48000}[int(rateSel)%3])
		frame := make([]int16, int(size)%2000+1)
		for i, b := range data {
			if b%3 == 0 {
				c.Conceal(frame)
				continue
			}
			for j := range frame {
				frame[j] = int16(int(b)*257*(j%7-3) + i)
			}
			c.Good(frame)
		}
	})
}
