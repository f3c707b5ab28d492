package webhook

import (
	"time"

	"github.com/callrec/callrec"
)

// A destination (callrec.Target.Destination: the endpoint's scheme://host)
// is a lane: the worker claims no more of its deliveries than
// PerTargetConcurrency minus the attempts it has in flight there, and starts
// each claimed delivery at once. A destination that hangs therefore holds
// at most its own budget of claims and connections, and every other
// destination keeps its whole budget.

// finished is an attempt that ended, sent from its goroutine to the loop.
type finished struct {
	dest string
	// record is the outcome to store; nil when shutdown cut the attempt
	// short (its lease brings it back).
	record *callrec.AttemptRecord
	// until is when the delivery's lease ends: past it, another claim may
	// have taken it, and the outcome is not worth storing.
	until time.Time
}

// start runs an attempt at a claimed delivery in its own goroutine, which
// reports to the loop through done.
func (l *loop) start(d callrec.Delivery, claimedAt time.Time) {
	dest := d.Target.Destination()
	l.running[dest]++
	l.held++
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f := finished{dest: dest, until: claimedAt.Add(l.w.cfg.Lease)}
		if a, ok := l.w.attempt(l.attemptCtx, d); ok {
			f.record = &callrec.AttemptRecord{ID: d.ID, Attempt: a}
		}
		l.done <- f
	}()
}

// finished accounts for an attempt that ended and queues its outcome for
// the next write.
func (l *loop) finished(f finished) {
	l.held--
	if l.running[f.dest]--; l.running[f.dest] <= 0 {
		delete(l.running, f.dest)
	}
	if f.record != nil {
		l.results = append(l.results, f)
	}
}
