package webhook

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/callrec/callrec"
)

// memOutbox is an in-memory callrec.Outbox with the semantics the SQL
// outbox has: claims hide a delivery for the lease, RecordAttempt counts the
// attempt and sets the status and next time.
type memOutbox struct {
	mu      sync.Mutex
	nextID  int64
	rows    map[int64]*callrec.Delivery
	history map[int64][]callrec.Attempt
	polls   int // NextDue calls: how often a worker went idle
}

func newMemOutbox() *memOutbox {
	return &memOutbox{rows: map[int64]*callrec.Delivery{}, history: map[int64][]callrec.Attempt{}}
}

// add enqueues ev for each target, due now, and returns the delivery ids.
func (o *memOutbox) add(ev callrec.Event, targets ...callrec.Target) []int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	var ids []int64
	for _, t := range targets {
		o.nextID++
		o.rows[o.nextID] = &callrec.Delivery{
			ID: o.nextID, Event: ev, Target: t, Status: callrec.DeliveryPending,
			NextAttemptAt: now, CreatedAt: now,
		}
		ids = append(ids, o.nextID)
	}
	return ids
}

func (o *memOutbox) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]callrec.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []*callrec.Delivery
	for _, d := range o.rows {
		if d.Status == callrec.DeliveryPending && !d.NextAttemptAt.After(now) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b *callrec.Delivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	out := make([]callrec.Delivery, 0, min(limit, len(due)))
	for _, d := range due[:min(limit, len(due))] {
		d.NextAttemptAt = now.Add(lease)
		out = append(out, *d)
	}
	return out, nil
}

func (o *memOutbox) RecordAttempt(ctx context.Context, id int64, a callrec.Attempt) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.rows[id]
	if d == nil {
		return callrec.Errorf(callrec.KindNotFound, "DeliveryNotFound", "no delivery %d", id)
	}
	d.Attempts++
	d.Status = a.Status
	d.LastStatus = a.HTTPStatus
	d.LastError = a.Error
	if a.Status == callrec.DeliveryPending {
		d.NextAttemptAt = a.Next
	}
	o.history[id] = append(o.history[id], a)
	return nil
}

func (o *memOutbox) NextDue(ctx context.Context) (time.Time, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.polls++
	var next time.Time
	for _, d := range o.rows {
		if d.Status == callrec.DeliveryPending && (next.IsZero() || d.NextAttemptAt.Before(next)) {
			next = d.NextAttemptAt
		}
	}
	return next, nil
}

func (o *memOutbox) get(id int64) callrec.Delivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.rows[id]
}

func (o *memOutbox) attempts(id int64) []callrec.Attempt {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.history[id])
}

func (o *memOutbox) countStatus(s callrec.DeliveryStatus) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, d := range o.rows {
		if d.Status == s {
			n++
		}
	}
	return n
}

func (o *memOutbox) idlePolls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.polls
}
