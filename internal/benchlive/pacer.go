package benchlive

import (
	"context"
	"sync"
	"time"
)

const frameInterval = 20 * time.Millisecond

// pacer sends every call's packets from one goroutine on one 20 ms grid:
// tick k is due at epoch + k×20 ms, and a call added before tick s sends
// its participants' packet k−s at tick k, whatever happened before, so the
// sender's own lateness never shifts a stream. One goroutine for all calls
// keeps the load generator's wake-ups at 50 a second, however many calls.
type pacer struct {
	epoch time.Time

	mu    sync.Mutex
	calls []pacedCall
}

type pacedCall struct {
	ps    []*participant
	start int // the tick of its packet 0
}

func newPacer() *pacer { return &pacer{epoch: time.Now()} }

// add starts a call's participants at the next tick.
func (pc *pacer) add(ps []*participant) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	start := int(time.Since(pc.epoch)/frameInterval) + 1
	for _, p := range ps {
		p.first = pc.epoch.Add(time.Duration(start) * frameInterval)
	}
	pc.calls = append(pc.calls, pacedCall{ps: ps, start: start})
}

// run sends until ctx is done and returns how late a tick ever was.
func (pc *pacer) run(ctx context.Context) (maxLate time.Duration) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var calls []pacedCall
	for k := 1; ; k++ {
		due := pc.epoch.Add(time.Duration(k) * frameInterval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return maxLate
			}
		} else if ctx.Err() != nil {
			return maxLate
		}
		maxLate = max(maxLate, time.Since(due))
		pc.mu.Lock()
		calls = append(calls[:0], pc.calls...)
		pc.mu.Unlock()
		for _, c := range calls {
			i := k - c.start
			if i < 0 {
				continue
			}
			for _, p := range c.ps {
				if err := p.pub.send(p.seq0+uint16(i), p.ts0+uint32(i*frameSamples), i == 0, p.clip.packet(i)); err != nil {
					p.sendErrs++
					continue
				}
				p.sent++
				p.last = due
			}
		}
	}
}
