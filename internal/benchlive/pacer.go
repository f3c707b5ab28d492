package benchlive

import (
	"context"
	"sync"
	"time"
)

const (
	frameInterval = 20 * time.Millisecond
	// pacerPhases spreads calls over this many phases of the 20 ms frame,
	// as independent senders would be, instead of every packet of every
	// call leaving at the same instant.
	pacerPhases = 4
	pacerTick   = frameInterval / pacerPhases
)

// pacer sends every call's packets from one goroutine on one 5 ms grid:
// tick k is due at epoch + k×5 ms; a call has a phase (calls take the four
// phases in turn) and sends its participants' packet i at its start tick +
// 4i, whatever happened before, so that the sender's own lateness never
// shifts a stream. One goroutine for all calls keeps the load generator's
// wake-ups at 200 a second, however many calls.
type pacer struct {
	epoch time.Time

	mu    sync.Mutex
	calls []pacedCall
	added int
}

type pacedCall struct {
	ps    []*participant
	start int // the tick of its packet 0
}

func newPacer() *pacer { return &pacer{epoch: time.Now()} }

// add starts a call's participants at the next tick of the call's phase.
func (pc *pacer) add(ps []*participant) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	phase := pc.added % pacerPhases
	pc.added++
	start := int(time.Since(pc.epoch)/pacerTick) + 1
	start += (phase - start%pacerPhases + pacerPhases) % pacerPhases
	for _, p := range ps {
		p.first = pc.epoch.Add(time.Duration(start) * pacerTick)
	}
	pc.calls = append(pc.calls, pacedCall{ps: ps, start: start})
}

// run sends until ctx is done and returns how late a tick ever was.
func (pc *pacer) run(ctx context.Context) (maxLate time.Duration) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var calls []pacedCall
	for k := 1; ; k++ {
		due := pc.epoch.Add(time.Duration(k) * pacerTick)
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
			if k < c.start || (k-c.start)%pacerPhases != 0 {
				continue
			}
			i := (k - c.start) / pacerPhases
			for _, p := range c.ps {
				if err := p.send(i, p.clip.packet(i)); err != nil {
					p.sendErrs++
					continue
				}
				if p.video != nil {
					if err := p.sendVideo(i); err != nil {
						p.sendErrs++
						continue
					}
				}
				p.sent++
				p.last = due
			}
		}
	}
}
