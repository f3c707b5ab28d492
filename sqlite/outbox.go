package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/callrec/callrec"
)

// insertEvents writes events and one pending delivery per target, inside
// the caller's transaction, and fans each event out to the validated
// subscriptions that match it (one delivery each, Target.Subscription set).
// An event with no target is still stored: operators can read it.
func insertEvents(ctx context.Context, tx *sql.Tx, events []callrec.Outgoing) error {
	if len(events) == 0 {
		return nil
	}
	subs, err := querySubscriptions(ctx, tx, `WHERE state = ?`, callrec.SubscriptionValidated)
	if err != nil {
		return err
	}
	for _, o := range events {
		o.Targets = append(o.Targets[:len(o.Targets):len(o.Targets)], callrec.SubscriberTargets(subs, o.Event)...)
		e := o.Event
		_, err := tx.ExecContext(ctx, `INSERT INTO events (id, type, source, subject, time, data_version, data)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.ID, e.Type, e.Source, e.Subject, formatTime(e.Time), e.DataVersion, string(e.Data))
		if err != nil {
			return callrec.Internal(err, "storing event")
		}
		for _, t := range o.Targets {
			_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (event_id, url, destination, schema, subscription, status,
				next_attempt_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, t.URL, t.Destination(), t.Schema,
				t.Subscription, callrec.DeliveryPending, e.Time.UnixMilli(), formatTime(e.Time))
			if err != nil {
				return callrec.Internal(err, "storing delivery")
			}
		}
	}
	return nil
}

const deliveryColumns = `d.id, d.url, d.schema, d.subscription, d.status, d.attempts, d.next_attempt_ms, d.last_status,
	d.last_error, d.created_at, e.id, e.type, e.source, e.subject, e.time, e.data_version, e.data`

func scanDelivery(s scanner) (callrec.Delivery, error) {
	var d callrec.Delivery
	var next int64
	var created, etime, data string
	err := s.Scan(&d.ID, &d.Target.URL, &d.Target.Schema, &d.Target.Subscription, &d.Status, &d.Attempts, &next,
		&d.LastStatus, &d.LastError, &created, &d.Event.ID, &d.Event.Type, &d.Event.Source, &d.Event.Subject,
		&etime, &d.Event.DataVersion, &data)
	if err != nil {
		return d, callrec.Internal(err, "reading delivery")
	}
	d.NextAttemptAt = time.UnixMilli(next).UTC()
	d.CreatedAt, d.Event.Time = parseTime(created), parseTime(etime)
	d.Event.Data = []byte(data)
	return d, nil
}

// Deliveries lists deliveries in a status (all when status is empty), newest
// first, for operators and tests.
func (d *DB) Deliveries(ctx context.Context, status callrec.DeliveryStatus, limit int) ([]callrec.Delivery, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE (? = '' OR d.status = ?) ORDER BY d.id DESC LIMIT ?`, status, status, limit)
	if err != nil {
		return nil, callrec.Internal(err, "reading outbox")
	}
	defer rows.Close()
	var out []callrec.Delivery
	for rows.Next() {
		del, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, del)
	}
	return out, rows.Err()
}

// Events lists stored events of a type (all when empty), oldest first.
func (d *DB) Events(ctx context.Context, typ string) ([]callrec.Event, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, type, source, subject, time, data_version, data FROM events
		WHERE (? = '' OR type = ?) ORDER BY rowid`, typ, typ)
	if err != nil {
		return nil, callrec.Internal(err, "reading events")
	}
	defer rows.Close()
	var out []callrec.Event
	for rows.Next() {
		var e callrec.Event
		var t, data string
		if err := rows.Scan(&e.ID, &e.Type, &e.Source, &e.Subject, &t, &e.DataVersion, &data); err != nil {
			return nil, callrec.Internal(err, "reading events")
		}
		e.Time, e.Data = parseTime(t), []byte(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReleaseLeases makes deliveries claimed by a process that is gone due again
// when they were due before the claim. Only a process that knows it is the
// store's sole user (SQLite: one node) may call it, at startup.
func (d *DB) ReleaseLeases(ctx context.Context) (int64, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET next_attempt_ms = leased_next_ms, leased_next_ms = NULL
			WHERE leased_next_ms IS NOT NULL AND status = ?`, callrec.DeliveryPending)
		if err != nil {
			return callrec.Internal(err, "releasing delivery leases")
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
