package service

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/callrec/callrec"
)

// CallMedia is what the service needs of the call media core: hanging up
// every participant of a call that ended.
type CallMedia interface {
	// Hangup disconnects every participant of callID at once, and returns
	// when they have left or ctx is done.
	Hangup(ctx context.Context, callID string) error
}

// hangupTimeout bounds how long ending a call waits for its participants to
// be disconnected (their leaves recorded).
const hangupTimeout = 10 * time.Second

// expireTimeout bounds the work of ending an idle call.
const expireTimeout = 30 * time.Second

// callTimers holds one timer per call that is due to end unless someone
// joins: CallUnjoinedTimeout after its creation while nobody ever joined,
// CallIdleTimeout after its last participant left. A timer's function runs
// on a goroutine of its own; Close stops the timers and waits for those
// running.
type callTimers struct {
	mu      sync.Mutex
	timers  map[string]*time.Timer
	closed  bool
	running sync.WaitGroup
}

// arm (re)starts callID's timer to run f after d; d <= 0 runs it at once.
func (t *callTimers) arm(callID string, d time.Duration, f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if t.timers == nil {
		t.timers = map[string]*time.Timer{}
	}
	if old := t.timers[callID]; old != nil {
		old.Stop()
	}
	var timer *time.Timer
	timer = time.AfterFunc(max(d, 0), func() {
		t.mu.Lock()
		if t.closed || t.timers[callID] != timer {
			t.mu.Unlock()
			return
		}
		delete(t.timers, callID)
		t.running.Add(1)
		t.mu.Unlock()
		defer t.running.Done()
		f()
	})
	t.timers[callID] = timer
}

// disarm stops callID's timer, if any.
func (t *callTimers) disarm(callID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.timers[callID]; old != nil {
		old.Stop()
		delete(t.timers, callID)
	}
}

// close stops every timer and waits for those already running.
func (t *callTimers) close() {
	t.mu.Lock()
	t.closed = true
	for id, timer := range t.timers {
		timer.Stop()
		delete(t.timers, id)
	}
	t.mu.Unlock()
	t.running.Wait()
}

// armUnjoined arms c's end for nobody joining: CallUnjoinedTimeout after
// its creation.
func (s *Service) armUnjoined(c *callrec.Call) {
	if d := s.cfg.CallUnjoinedTimeout; d > 0 {
		id := c.ServerCallID
		s.timers.arm(id, time.Until(c.CreatedAt.Add(d)), func() { s.expire(id, "nobody joined") })
	}
}

// armIdle arms callID's end for nobody being in it: CallIdleTimeout from
// now.
func (s *Service) armIdle(callID string) {
	if d := s.cfg.CallIdleTimeout; d > 0 {
		s.timers.arm(callID, d, func() { s.expire(callID, "idle") })
	}
}

// expire ends callID if it is still active and nobody is in it.
func (s *Service) expire(callID, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), expireTimeout)
	defer cancel()
	c, err := s.cfg.Store.Call(ctx, callID)
	if err != nil || c.State != callrec.CallActive || present(c) > 0 {
		return
	}
	s.log.InfoContext(ctx, "ending a call nobody is in", "serverCallId", callID, "why", why)
	if err := s.EndCall(ctx, callID); err != nil && callrec.CodeOf(err) != callrec.CodeCallEnded {
		s.log.ErrorContext(ctx, "ending an idle call", "serverCallId", callID, "err", err)
	}
}

// present counts c's participants who have not left.
func present(c *callrec.Call) int {
	n := 0
	for _, p := range c.Participants {
		if p.LeftAt == nil {
			n++
		}
	}
	return n
}

// Close stops the timers that end idle calls and waits for calls being
// ended by them.
func (s *Service) Close() { s.timers.close() }

// RecoverCalls takes up the active calls after a start: the participants
// the previous process left present (it was killed before recording their
// leave) are marked left now, with their ParticipantLeft events, since
// their media sessions died with it; and each call's end is armed (idle
// from now, or unjoined from its creation). Call it once at startup,
// before the transports accept participants. A leave it cannot record is
// logged and left for the next start; only failing to list the calls is
// an error.
func (s *Service) RecoverCalls(ctx context.Context) error {
	q := callrec.CallQuery{State: callrec.CallActive, Limit: callrec.MaxPageSize}
	for {
		page, err := s.cfg.Store.ListCalls(ctx, q)
		if err != nil {
			return err
		}
		page.Calls = slices.DeleteFunc(page.Calls, func(c *callrec.Call) bool { return !s.owns(c) })
		for _, c := range page.Calls {
			for _, p := range c.Participants {
				if p.LeftAt != nil {
					continue
				}
				if err := s.LeaveParticipant(ctx, c.ServerCallID, p.RawID); err != nil {
					// A full disk, for one: the node starts anyway, and the
					// next start tries again.
					s.log.WarnContext(ctx, "cannot record the leave of a participant of the previous process",
						"serverCallId", c.ServerCallID, "participant", p.RawID, "err", err)
					continue
				}
				s.log.InfoContext(ctx, "participant left with the previous process",
					"serverCallId", c.ServerCallID, "participant", p.RawID)
			}
		}
		for _, c := range page.Calls {
			if len(c.Participants) == 0 {
				s.armUnjoined(c)
			} else {
				s.armIdle(c.ServerCallID)
			}
		}
		if page.Next == "" {
			return nil
		}
		q.After = page.Next
	}
}
