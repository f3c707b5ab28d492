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
}

// New checks cfg, fills its defaults and returns a Worker.
func New(cfg Config) (*Worker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Worker{cfg: cfg, wake: make(chan struct{}, 1)}, nil
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
// after that) and returns nil. Outbox errors are logged and retried after
// PollInterval; they do not end Run. Only one Run may be active at a time.
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errAlreadyRunning
	}
	defer w.running.Store(false)

	attemptCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	l := newLoop(w, attemptCtx)
	wait, look := time.Duration(0), true
	for ctx.Err() == nil {
		if look {
			wait = l.step(ctx)
		}
		timer := time.NewTimer(wait)
		start := time.Now()
		select {
		case <-ctx.Done():
		case <-w.wake:
			look = true
		case key := <-l.done:
			l.finished(key)
			// Claim in batches: while most slots are busy, finished
			// attempts only free slots, and the claim waits for more.
			look = l.free() >= l.batch
			wait = max(0, wait-time.Since(start))
		case <-timer.C:
			look = true
		}
		timer.Stop()
	}
	l.shutdown(abort)
	return nil
}

// step claims what it can and returns how long to sleep before the next
// look, unless woken earlier.
func (l *loop) step(ctx context.Context) time.Duration {
	cfg := l.w.cfg
	asked, got, err := l.claim(ctx)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			cfg.Logger.Error("webhook: claiming due deliveries failed", "err", err)
		}
		return cfg.PollInterval
	case asked == 0:
		// Every slot is taken: a finished attempt brings us back.
		return cfg.PollInterval
	case got == asked:
		// A full claim: more may be due at once.
		return 0
	}
	next, err := cfg.Outbox.NextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			cfg.Logger.Error("webhook: reading next due time failed", "err", err)
		}
		return cfg.PollInterval
	}
	if next.IsZero() {
		return cfg.PollInterval
	}
	wait := next.Sub(cfg.Now())
	if wait <= 0 {
		// Due yet not claimable (claimed elsewhere a moment ago, or a
		// clock step): look again soon, without spinning.
		wait = min(cfg.PollInterval, 100*time.Millisecond)
	}
	return min(wait, cfg.PollInterval)
}
