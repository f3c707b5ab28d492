package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/callrec/callrec"
)

// DeadLetters lists dead deliveries, newest first: those a receiver refused
// for good (400, 401, 403, 413) or that ran out of attempts or time. Each
// keeps its event, attempt count and last outcome (LastError starts with the
// dead-letter reason).
func (d *DB) DeadLetters(ctx context.Context, limit int) ([]callrec.Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	return d.Deliveries(ctx, callrec.DeliveryDead, limit)
}

// Delivery returns one delivery with its event.
func (d *DB) Delivery(ctx context.Context, id int64) (callrec.Delivery, error) {
	del, err := scanDelivery(d.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
		JOIN events e ON e.id = d.event_id WHERE d.id = ?`, id))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return del, callrec.Errorf(callrec.KindNotFound, callrec.CodeDeadLetterNotFound, "delivery %d not found", id)
		}
		return del, err
	}
	return del, nil
}

// ReplayDeadLetter puts a dead delivery back in the outbox, due at now, with
// a fresh attempt budget and time to live counted from now. The event, and
// so its id and body, are unchanged: a receiver that got it before sees a
// duplicate it can recognise.
func (d *DB) ReplayDeadLetter(ctx context.Context, id int64, now time.Time) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = 0, next_attempt_ms = ?,
			last_status = 0, last_error = '', created_at = ? WHERE id = ? AND status = ?`,
			callrec.DeliveryPending, now.UnixMilli(), formatTime(now), id, callrec.DeliveryDead)
		if err != nil {
			return callrec.Internal(err, "replaying dead letter")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return callrec.Errorf(callrec.KindNotFound, callrec.CodeDeadLetterNotFound, "no dead letter with id %d", id)
		}
		return nil
	})
}

// EventsAfter returns up to limit stored events after the position after
// (0 for the start), oldest first, with the position of each: the feed of
// `callrec events tail`.
func (d *DB) EventsAfter(ctx context.Context, after int64, limit int) ([]callrec.Event, []int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT rowid, id, type, source, subject, time, data_version, data FROM events
		WHERE rowid > ? ORDER BY rowid LIMIT ?`, after, limit)
	if err != nil {
		return nil, nil, callrec.Internal(err, "reading events")
	}
	defer rows.Close()
	var evs []callrec.Event
	var pos []int64
	for rows.Next() {
		var e callrec.Event
		var p int64
		var t, data string
		if err := rows.Scan(&p, &e.ID, &e.Type, &e.Source, &e.Subject, &t, &e.DataVersion, &data); err != nil {
			return nil, nil, callrec.Internal(err, "reading events")
		}
		e.Time, e.Data = parseTime(t), []byte(data)
		evs, pos = append(evs, e), append(pos, p)
	}
	return evs, pos, rows.Err()
}

// LastEventPosition is the position of the newest stored event (0 if none).
func (d *DB) LastEventPosition(ctx context.Context) (int64, error) {
	var p sql.NullInt64
	if err := d.db.QueryRowContext(ctx, `SELECT MAX(rowid) FROM events`).Scan(&p); err != nil {
		return 0, callrec.Internal(err, "reading events")
	}
	return p.Int64, nil
}
