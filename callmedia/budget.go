package callmedia

import (
	"fmt"
	"time"
)

// Budget is the latency contract between the hub's publishers and its
// subscribers. A frame at call-clock position P stands for the wall time of
// P; a publisher delivers it somewhat later (its reorder window, decoding in
// bursts, polling its sockets), and a subscriber that wants every
// participant's audio up to P waits for it.
type Budget struct {
	// Delay bounds how long after the wall time of its end a frame is
	// delivered in normal operation. A subscriber that stops at P waits at
	// least this long before it finalises (the recorder's StopGrace).
	Delay time.Duration
	// MaxDelay bounds it at worst: a publisher whose reorder window has
	// grown to its most, with scheduling slack on a loaded host. A
	// subscriber treats frames later than this as lost (the recorder's
	// Lateness).
	MaxDelay time.Duration
}

// DefaultBudget is the budget of callrec's publishers (see ingest's
// FrameDelay): 120 ms of reorder window, a frame, a decode burst and a
// socket poll make 220 ms in normal operation; a window grown to 300 ms
// makes 400 ms, and 50 ms is left for scheduling.
var DefaultBudget = Budget{Delay: 250 * time.Millisecond, MaxDelay: 450 * time.Millisecond}

// Validate checks that the budget is usable.
func (b Budget) Validate() error {
	if b.Delay <= 0 || b.MaxDelay < b.Delay {
		return fmt.Errorf("callmedia: budget delay %v must be positive and at most the max delay %v", b.Delay, b.MaxDelay)
	}
	return nil
}

// CheckPublisher returns an error unless a publisher that delivers frames
// within delay in normal operation and within maxDelay at worst keeps to
// the budget.
func (b Budget) CheckPublisher(name string, delay, maxDelay time.Duration) error {
	if delay > b.Delay {
		return fmt.Errorf("%s delivers frames up to %v late, more than the media budget's %v", name, delay, b.Delay)
	}
	if maxDelay > b.MaxDelay {
		return fmt.Errorf("%s delivers frames up to %v late at worst, more than the media budget's %v", name, maxDelay, b.MaxDelay)
	}
	return nil
}

// CheckSubscriber returns an error unless a subscriber that waits grace
// for the last frames before it stops, and takes frames up to lateness
// late, waits as long as the budget says publishers may take.
func (b Budget) CheckSubscriber(name string, grace, lateness time.Duration) error {
	if grace < b.Delay {
		return fmt.Errorf("%s waits %v for the last frames, less than the media budget's delay %v", name, grace, b.Delay)
	}
	if lateness < b.MaxDelay {
		return fmt.Errorf("%s takes frames up to %v late, less than the media budget's max delay %v", name, lateness, b.MaxDelay)
	}
	return nil
}
