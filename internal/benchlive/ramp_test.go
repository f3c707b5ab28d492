package benchlive

import (
	"slices"
	"testing"
	"time"
)

// A step is bounded by the CPU when the server and the simulator take 85 %
// of the cores, or when the cores are 90 % busy with anything; the missed
// pass criteria follow (late audio: packets in time, audio decoded too
// late for the recorder).
func TestBounds(t *testing.T) {
	window := 10 * time.Second
	for _, c := range []struct {
		name string
		r    Result
		want []string
	}{
		{"spare", Result{Calls: 5, CallsHeld: 5, Intact: 5, Cores: 2, Window: window, ServerCPU: 8 * time.Second, SimulatorCPU: 2 * time.Second, MachineBusy: 0.6}, nil},
		{"ours", Result{Calls: 5, CallsHeld: 5, Intact: 5, Cores: 2, Window: window, ServerCPU: 14 * time.Second, SimulatorCPU: 3 * time.Second, MachineBusy: 0.86}, []string{"CPU"}},
		{"shared machine", Result{Calls: 5, CallsHeld: 5, Intact: 4, Cores: 2, Window: window, ServerCPU: 5 * time.Second, SimulatorCPU: 2 * time.Second, MachineBusy: 0.97, DelayP99: 150 * time.Millisecond}, []string{"CPU", "delay", "gaps"}},
		{"decode behind", Result{Calls: 5, CallsHeld: 5, Intact: 2, Cores: 2, Window: window, ServerCPU: 16 * time.Second, SimulatorCPU: 2 * time.Second, MachineBusy: 0.92, LateAudio: 3 * time.Second}, []string{"CPU", "late audio", "gaps"}},
		{"not the CPU", Result{Calls: 5, CallsHeld: 4, Intact: 5, Cores: 2, Window: window, ServerCPU: 5 * time.Second, SimulatorCPU: 2 * time.Second, MachineBusy: 0.4, LossPct: 1}, []string{"loss", "calls"}},
	} {
		if got := Bounds(&c.r); !slices.Equal(got, c.want) {
			t.Errorf("%s: bounds %q, want %q", c.name, got, c.want)
		}
	}
}
