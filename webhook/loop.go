package webhook

import (
	"context"
	"sync"
	"time"
)

// loop is the state of one Run, owned by its goroutine; attempt goroutines
// talk to it only through done.
type loop struct {
	w          *Worker
	attemptCtx context.Context
	lanes      map[string]*lane
	held       int         // claimed and neither finished nor released
	batch      int         // free slots worth a claim when attempts finish
	done       chan string // lane key of each finished attempt
	wg         sync.WaitGroup
}

func newLoop(w *Worker, attemptCtx context.Context) *loop {
	return &loop{
		w:          w,
		attemptCtx: attemptCtx,
		lanes:      map[string]*lane{},
		batch:      max(1, w.cfg.Concurrency/4),
		// held never exceeds Concurrency, so attempts never block on done.
		done: make(chan string, w.cfg.Concurrency),
	}
}

// free is the number of deliveries the loop can claim now.
func (l *loop) free() int { return l.w.cfg.Concurrency - l.held }

// claim asks the outbox for as many due deliveries as there are free slots.
func (l *loop) claim(ctx context.Context) (asked, got int, err error) {
	cfg := l.w.cfg
	asked = l.free()
	if asked <= 0 {
		return 0, 0, nil
	}
	now := cfg.Now()
	ds, err := cfg.Outbox.ClaimDue(ctx, now, asked, cfg.Lease)
	if err != nil {
		return asked, 0, err
	}
	for _, d := range ds {
		l.enqueue(claimed{d: d, at: now, key: laneKey(d.Target)})
	}
	return asked, len(ds), nil
}

// shutdown releases queued deliveries to their leases and waits for attempts
// in flight, cancelling them after DrainTimeout.
func (l *loop) shutdown(abort context.CancelFunc) {
	cfg := l.w.cfg
	for key, ln := range l.lanes {
		l.held -= len(ln.queue)
		ln.queue = nil
		if ln.running == 0 {
			delete(l.lanes, key)
		}
	}
	deadline := time.NewTimer(cfg.DrainTimeout)
	defer deadline.Stop()
	for l.held > 0 {
		select {
		case key := <-l.done:
			l.finished(key)
		case <-deadline.C:
			cfg.Logger.Warn("webhook: drain timeout; abandoning attempts in flight to their leases", "inflight", l.held)
			abort()
			l.wg.Wait()
			return
		}
	}
	l.wg.Wait()
}
