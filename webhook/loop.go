package webhook

import (
	"context"
	"sync"
	"time"

	"github.com/callrec/callrec"
)

// loop is the state of one Run, owned by its goroutine; attempt goroutines
// talk to it only through done.
type loop struct {
	w          *Worker
	attemptCtx context.Context
	running    map[string]int // attempts in flight by destination
	held       int            // attempts in flight in all
	results    []finished     // outcomes not yet stored
	done       chan finished
	wg         sync.WaitGroup
}

func newLoop(w *Worker, attemptCtx context.Context) *loop {
	return &loop{
		w:          w,
		attemptCtx: attemptCtx,
		running:    map[string]int{},
		// held never exceeds Concurrency, so attempts never block on done.
		done: make(chan finished, w.cfg.Concurrency),
	}
}

// free is the number of deliveries the loop can claim now.
func (l *loop) free() int { return l.w.cfg.Concurrency - l.held }

// collect takes every finished attempt waiting on done, without blocking.
func (l *loop) collect() {
	for {
		select {
		case f := <-l.done:
			l.finished(f)
		default:
			return
		}
	}
}

// store writes the outcomes of finished attempts in one transaction. On
// failure they are kept for the next write, except those whose lease has
// run out (a later claim tries them again). It reports whether everything
// was stored.
func (l *loop) store(ctx context.Context) bool {
	cfg := l.w.cfg
	if len(l.results) == 0 {
		return true
	}
	recs := make([]callrec.AttemptRecord, len(l.results))
	for i, f := range l.results {
		recs[i] = *f.record
	}
	err := cfg.Outbox.RecordAttempts(ctx, recs)
	if err == nil {
		l.w.metrics.batch.Observe(float64(len(recs)))
		l.results = l.results[:0]
		return true
	}
	now := cfg.Now()
	kept := l.results[:0]
	for _, f := range l.results {
		if now.Before(f.until) {
			kept = append(kept, f)
			continue
		}
		cfg.Logger.Error("webhook: could not record an attempt before its lease ended; it will be tried again",
			"delivery", f.record.ID, "err", err)
	}
	l.results = kept
	if ctx.Err() == nil {
		cfg.Logger.Error("webhook: recording attempts failed; retrying", "attempts", len(recs), "err", err)
	}
	return false
}

// claim asks the outbox for due deliveries within the free slots and each
// destination's remaining budget, starts them, and returns how many it got
// and when more are due.
func (l *loop) claim(ctx context.Context) (got int, next time.Time, err error) {
	cfg := l.w.cfg
	now := cfg.Now()
	ds, next, err := cfg.Outbox.ClaimDue(ctx, callrec.Claim{
		Now: now, Limit: l.free(), Lease: cfg.Lease, PerDestination: cfg.PerTargetConcurrency, Held: l.running,
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	for _, d := range ds {
		l.start(d, now)
	}
	return len(ds), next, nil
}

// shutdown waits for attempts in flight, cancelling them after
// DrainTimeout, and stores the outcomes of those that finished.
func (l *loop) shutdown(ctx context.Context, abort context.CancelFunc) {
	cfg := l.w.cfg
	deadline := time.NewTimer(cfg.DrainTimeout)
	defer deadline.Stop()
wait:
	for l.held > 0 {
		select {
		case f := <-l.done:
			l.finished(f)
		case <-deadline.C:
			cfg.Logger.Warn("webhook: drain timeout; abandoning attempts in flight to their leases", "inflight", l.held)
			abort()
			l.wg.Wait()
			l.collect()
			break wait
		}
	}
	l.wg.Wait()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(cfg.DrainTimeout, 5*time.Second))
	defer cancel()
	l.store(ctx)
}
