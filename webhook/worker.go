package webhook

import (
	"context"
	"errors"
	"sync"
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
	case asked == 0 || got == asked:
		// Full, or more may be due: the next finished attempt or the poll
		// brings us back.
		if asked > 0 {
			return 0
		}
		return cfg.PollInterval
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
