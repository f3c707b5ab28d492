package mix_test

import (
	"math"
	"testing"

	"github.com/callrec/callrec/audio/mix"
)

func TestSaturatingSumNeverWraps(t *testing.T) {
	a := []int16{30000, -30000, 100, math.MaxInt16, math.MinInt16}
	b := []int16{10000, -10000, -50, 1, -1}
	acc := make([]int32, len(a))
	mix.Add(acc, a)
	mix.Add(acc, b)
	got := make([]int16, len(a))
	mix.Saturate(got, acc)
	want := []int16{math.MaxInt16, math.MinInt16, 50, math.MaxInt16, math.MinInt16}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sample %d: %d + %d = %d, want %d", i, a[i], b[i], got[i], want[i])
		}
	}
	inPlace := append([]int16(nil), a...)
	mix.AddSaturating(inPlace, b)
	for i := range want {
		if inPlace[i] != want[i] {
			t.Errorf("AddSaturating sample %d = %d, want %d", i, inPlace[i], want[i])
		}
	}
}

func TestSumIsOrderIndependent(t *testing.T) {
	// 30000 + 30000 - 30000 clips to 32767 then drops if clamped stepwise;
	// the accumulator gives 30000 whatever the order.
	srcs := [][]int16{{30000}, {30000}, {-30000}}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		acc := make([]int32, 1)
		for _, i := range order {
			mix.Add(acc, srcs[i])
		}
		out := make([]int16, 1)
		mix.Saturate(out, acc)
		if out[0] != 30000 {
			t.Errorf("order %v: %d, want 30000", order, out[0])
		}
	}
}

func TestInterleave(t *testing.T) {
	ch := [][]int32{{1, 2, 3}, {10, 20, 30}, {100000, -100000, 0}}
	out := make([]int16, 9)
	mix.Interleave(out, ch, 3)
	want := []int16{1, 10, 32767, 2, 20, -32768, 3, 30, 0}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("interleaved %v, want %v", out, want)
		}
	}
	mono := make([]int16, 2)
	mix.Interleave(mono, ch[:1], 2)
	if mono[0] != 1 || mono[1] != 2 {
		t.Fatalf("mono %v", mono)
	}
}

func BenchmarkAddSaturate(b *testing.B) {
	src := make([]int16, 320)
	acc := make([]int32, 320)
	dst := make([]int16, 320)
	b.ReportAllocs()
	for b.Loop() {
		mix.Add(acc, src)
		mix.Add(acc, src)
		mix.Saturate(dst, acc)
	}
}
