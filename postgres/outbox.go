package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/callrec/callrec"
)

// eventFeedLock is the key of the transaction-scoped advisory lock that
// event inserts hold until their transaction ends: feed positions (seq) are
// then taken in commit order, so a feed reader that resumes after a
// position never skips an event that committed after it read.
const eventFeedLock = 0x63616c6c726563 // "callrec"

// insertEvents writes events and one pending delivery per target, inside
// the caller's transaction, and fans each event out to the validated
// subscriptions that match it (one delivery each, Target.Subscription set).
// An event with no target is still stored: operators can read it.
func insertEvents(ctx context.Context, tx *sql.Tx, events []callrec.Outgoing) error {
	if len(events) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(eventFeedLock)); err != nil {
		return internal(err, "storing event")
	}
	subs, err := querySubscriptions(ctx, tx, `WHERE state = $1`, callrec.SubscriptionValidated)
	if err != nil {
		return err
	}
	for _, o := range events {
		o.Targets = append(o.Targets[:len(o.Targets):len(o.Targets)], callrec.SubscriberTargets(subs, o.Event)...)
		e := o.Event
		_, err := tx.ExecContext(ctx, `INSERT INTO events (id, type, source, subject, time, data_version, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.ID, e.Type, e.Source, e.Subject, e.Time, e.DataVersion, string(e.Data))
		if err != nil {
			return internal(err, "storing event")
		}
		for _, t := range o.Targets {
			_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (event_id, url, destination, schema, subscription, status,
				next_attempt_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ID, t.URL, t.Destination(), t.Schema,
				t.Subscription, callrec.DeliveryPending, e.Time.UnixMilli(), e.Time)
			if err != nil {
				return internal(err, "storing delivery")
			}
		}
	}
	return nil
}

// deliveryColumns are the columns scanDelivery reads.
const deliveryColumns = `d.id, d.url, d.schema, d.subscription, d.status, d.attempts, d.next_attempt_ms, d.last_status,
	d.last_error, d.created_at, e.id, e.type, e.source, e.subject, e.time, e.data_version, e.data`

func scanDelivery(s scanner) (callrec.Delivery, error) {
	var d callrec.Delivery
	var next int64
	var data string
	err := s.Scan(&d.ID, &d.Target.URL, &d.Target.Schema, &d.Target.Subscription, &d.Status, &d.Attempts, &next,
		&d.LastStatus, &d.LastError, &d.CreatedAt, &d.Event.ID, &d.Event.Type, &d.Event.Source, &d.Event.Subject,
		&d.Event.Time, &d.Event.DataVersion, &data)
	if err != nil {
		return d, err
	}
	d.NextAttemptAt = time.UnixMilli(next).UTC()
	d.CreatedAt, d.Event.Time = utc(d.CreatedAt), utc(d.Event.Time)
	d.Event.Data = []byte(data)
	return d, nil
}

// Deliveries lists deliveries in a status (all when status is empty), newest
// first, for operators and tests.
func (d *DB) Deliveries(ctx context.Context, status callrec.DeliveryStatus, limit int) ([]callrec.Delivery, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE ($1 = '' OR d.status = $1) ORDER BY d.id DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, internal(err, "reading outbox")
	}
	defer rows.Close()
	var out []callrec.Delivery
	for rows.Next() {
		del, err := scanDelivery(rows)
		if err != nil {
			return nil, internal(err, "reading delivery")
		}
		out = append(out, del)
	}
	return out, rows.Err()
}

// Events lists stored events of a type (all when empty), oldest first.
func (d *DB) Events(ctx context.Context, typ string) ([]callrec.Event, error) {
	evs, _, err := d.events(ctx, `WHERE ($1 = '' OR type = $1) ORDER BY seq`, typ)
	return evs, err
}

// events reads events with their feed positions.
func (d *DB) events(ctx context.Context, where string, args ...any) ([]callrec.Event, []int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT seq, id, type, source, subject, time, data_version, data FROM events `+where, args...)
	if err != nil {
		return nil, nil, internal(err, "reading events")
	}
	defer rows.Close()
	var evs []callrec.Event
	var pos []int64
	for rows.Next() {
		var e callrec.Event
		var p int64
		var data string
		if err := rows.Scan(&p, &e.ID, &e.Type, &e.Source, &e.Subject, &e.Time, &e.DataVersion, &data); err != nil {
			return nil, nil, internal(err, "reading events")
		}
		e.Time, e.Data = utc(e.Time), []byte(data)
		evs, pos = append(evs, e), append(pos, p)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, internal(err, "reading events")
	}
	return evs, pos, nil
}

// ReleaseLeases releases nothing: several processes may share the
// database, so no process at startup can tell that another's leases are
// abandoned. The leases of a process that died run out by themselves.
func (d *DB) ReleaseLeases(ctx context.Context) (int64, error) { return 0, nil }
