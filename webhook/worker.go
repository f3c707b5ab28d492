package webhook

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Worker drains a callrec.Outbox: it claims due deliveries, sends them and
// records each attempt. Create it with New, run it with Run.
type Worker struct {
	cfg     Config
	wake    chan struct{}
	running atomic.Bool
	metrics *metrics
}

// New checks cfg, fills its defaults and returns a Worker.
func New(cfg Config) (*Worker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Worker{cfg: cfg, wake: make(chan struct{}, 1), metrics: newMetrics(cfg.Registerer, cfg.Outbox)}, nil
}

// Notify wakes the worker to look for due deliveries now. The service calls
// it after committing a transaction that wrote events. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// errAlreadyRunning is returned by a second concurrent Run.
var errAlreadyRunning = errors.New("webhook: worker is already running")

// Run delivers until ctx is done, then stops claiming, waits up to
// Config.DrainTimeout for attempts in flight (cancelling those still running
// after that), stores their outcomes and returns nil. Outbox errors are
// logged and retried; they do not end Run. Only one Run may be active at a
// time.
//
// Each turn of the loop stores the outcomes of every attempt that finished
// since the last turn in one write, then claims what the free slots and
// each destination's budget allow: the slower the store, the larger the
// batches, so that a busy database is written less often, not more.
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errAlreadyRunning
	}
	defer w.running.Store(false)

	attemptCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	l := newLoop(w, attemptCtx)
	for ctx.Err() == nil {
		timer := time.NewTimer(l.step(ctx))
		select {
		case <-ctx.Done():
		case <-w.wake:
		case f := <-l.done:
			l.finished(f)
			l.collect()
		case <-timer.C:
		}
		timer.Stop()
	}
	l.shutdown(ctx, abort)
	return nil
}

// retryStore paces the retries of a failed write of outcomes.
const retryStore = 250 * time.Millisecond

// step stores finished outcomes, claims what it can, and returns how long
// to sleep before the next turn, unless woken earlier.
func (l *loop) step(ctx context.Context) time.Duration {
	cfg := l.w.cfg
	wait := cfg.PollInterval
	if !l.store(ctx) {
		wait = min(wait, retryStore)
	}
	if l.free() <= 0 {
		// Every slot is taken: a finished attempt brings us back.
		return wait
	}
	got, next, err := l.claim(ctx)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			cfg.Logger.Error("webhook: claiming due deliveries failed", "err", err)
		}
		return wait
	case next.IsZero():
		return wait
	}
	until := next.Sub(cfg.Now())
	switch {
	case until > 0:
		return min(wait, until)
	case got > 0 && l.free() > 0:
		// More are due than this claim took: claim again at once.
		return 0
	case l.free() <= 0:
		return wait
	}
	// Due yet not claimable (claimed elsewhere a moment ago, or a clock
	// step): look again soon, without spinning.
	return min(wait, 100*time.Millisecond)
}
