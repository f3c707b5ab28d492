package service

import (
	"context"
	"sync"
	"time"

	"github.com/callrec/callrec"
)

// retry is the handshake schedule of a subscription awaiting validation.
// Its fields change under Subscriptions.mu.
type retry struct {
	url      string
	schema   callrec.Schema
	attempts int       // handshakes tried so far
	next     time.Time // when to try again; zero: no more tries
	deadline time.Time // when the subscription fails
	running  bool      // a retry is in flight
}

// Run retries the validation handshakes of subscriptions awaiting
// validation, each when its retry is due (ValidationRetries), until ctx
// ends; it then waits for the handshakes in flight and returns.
func (m *Subscriptions) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		timer := time.NewTimer(m.startDue(ctx, &wg))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-m.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// startDue starts the retries that are due, each in a goroutine of wg, and
// returns how long until the next is due.
func (m *Subscriptions) startDue(ctx context.Context, wg *sync.WaitGroup) time.Duration {
	now := m.cfg.Now().UTC()
	wait := time.Minute
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, r := range m.retries {
		if r.running || r.next.IsZero() {
			continue
		}
		if d := r.next.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		r.running = true
		wg.Go(func() {
			m.retryHandshake(ctx, name, r)
			m.mu.Lock()
			r.running = false
			m.mu.Unlock()
			select {
			case m.wake <- struct{}{}:
			default:
			}
		})
	}
	return wait
}

// retryHandshake tries the handshake of subscription name again, unless it
// was validated, replaced or deleted meanwhile.
func (m *Subscriptions) retryHandshake(ctx context.Context, name string, r *retry) {
	s, err := m.cfg.Store.Subscription(ctx, name)
	if err != nil || s.URL != r.url || s.Schema != r.schema || s.State != callrec.SubscriptionAwaitingValidation {
		m.mu.Lock()
		if m.retries[name] == r {
			delete(m.retries, name)
		}
		m.mu.Unlock()
		return
	}
	token, err := m.cfg.Store.SubscriptionToken(ctx, name)
	if err != nil {
		m.log.ErrorContext(ctx, "reading a subscription's validation token", "subscription", name, "err", err)
		m.mu.Lock()
		r.next = m.cfg.Now().UTC().Add(m.retryWait(max(r.attempts, 1)))
		m.mu.Unlock()
		return
	}
	m.handshake(ctx, s, token, r)
}
