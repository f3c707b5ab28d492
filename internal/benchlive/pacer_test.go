package benchlive

import (
	"testing"
	"time"
)

// TestPacerSpreadsCallsOverPhases: calls added together start on the next
// ticks of four different phases of the 20 ms frame, the fifth sharing the
// first one's phase, all on the pacer's 5 ms grid.
func TestPacerSpreadsCallsOverPhases(t *testing.T) {
	pc := newPacer()
	now := time.Now()
	var firsts []time.Time
	for range pacerPhases + 1 {
		p := &participant{}
		pc.add([]*participant{p})
		firsts = append(firsts, p.first)
	}
	phases := map[int]bool{}
	for i, f := range firsts {
		since := f.Sub(pc.epoch)
		if since%pacerTick != 0 {
			t.Errorf("call %d starts %v after the epoch, off the %v grid", i, since, pacerTick)
		}
		if f.Before(now) || f.After(now.Add(frameInterval+2*pacerTick)) {
			t.Errorf("call %d starts %v from now", i, f.Sub(now))
		}
		phase := int(since/pacerTick) % pacerPhases
		if i < pacerPhases && phases[phase] {
			t.Errorf("call %d shares phase %d", i, phase)
		}
		phases[phase] = true
	}
	if p0, p4 := int(firsts[0].Sub(pc.epoch)/pacerTick)%pacerPhases, int(firsts[4].Sub(pc.epoch)/pacerTick)%pacerPhases; p0 != p4 {
		t.Errorf("the fifth call's phase %d, want the first's %d", p4, p0)
	}
}
