package webhook

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/callrec/callrec"
)

// memOutbox is an in-memory callrec.Outbox with the semantics the SQL
// outbox has: claims take each destination within its budget and hide a
// delivery for the lease, RecordAttempts counts each attempt and sets the
// status and next time.
type memOutbox struct {
	mu      sync.Mutex
	nextID  int64
	rows    map[int64]*callrec.Delivery
	history map[int64][]callrec.Attempt
	polls   int // claims that found nothing: how often a worker went idle
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

func (o *memOutbox) ClaimDue(ctx context.Context, c callrec.Claim) ([]callrec.Delivery, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var pending []*callrec.Delivery
	for _, d := range o.rows {
		if d.Status == callrec.DeliveryPending {
			pending = append(pending, d)
		}
	}
	slices.SortFunc(pending, func(a, b *callrec.Delivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	var out []callrec.Delivery
	taken := map[string]int{}
	for _, d := range pending {
		dest := d.Target.Destination()
		if len(out) == c.Limit || d.NextAttemptAt.After(c.Now) || c.Full(dest, taken[dest]) {
			continue
		}
		taken[dest]++
		d.NextAttemptAt = c.Now.Add(c.Lease)
		out = append(out, *d)
	}
	var next time.Time
	for _, d := range pending {
		dest := d.Target.Destination()
		if !c.Full(dest, taken[dest]) && (next.IsZero() || d.NextAttemptAt.Before(next)) {
			next = d.NextAttemptAt
		}
	}
	if len(out) == 0 {
		o.polls++
	}
	return out, next, nil
}

func (o *memOutbox) RecordAttempts(ctx context.Context, records []callrec.AttemptRecord) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range records {
		d := o.rows[r.ID]
		if d == nil {
			return callrec.Errorf(callrec.KindNotFound, "DeliveryNotFound", "no delivery %d", r.ID)
		}
		a := r.Attempt
		d.Attempts++
		d.Status = a.Status
		d.LastStatus = a.HTTPStatus
		d.LastError = a.Error
		if a.Status == callrec.DeliveryPending {
			d.NextAttemptAt = a.Next
		}
		o.history[r.ID] = append(o.history[r.ID], a)
	}
	return nil
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
