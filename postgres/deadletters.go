package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/callrec/callrec"
)

// DeadLetters lists dead deliveries, newest first: those a receiver refused
// for good or that ran out of attempts or time.
func (d *DB) DeadLetters(ctx context.Context, limit int) ([]callrec.Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	return d.Deliveries(ctx, callrec.DeliveryDead, limit)
}

// Delivery returns one delivery with its event.
func (d *DB) Delivery(ctx context.Context, id int64) (callrec.Delivery, error) {
	del, err := scanDelivery(d.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
		JOIN events e ON e.id = d.event_id WHERE d.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return del, callrec.Errorf(callrec.KindNotFound, callrec.CodeDeadLetterNotFound, "delivery %d not found", id)
	}
	if err != nil {
		return del, internal(err, "reading delivery")
	}
	return del, nil
}

// ReplayDeadLetter puts a dead delivery back in the outbox, due at now, with
// a fresh attempt budget and time to live counted from now. The event, and
// so its id and body, are unchanged.
func (d *DB) ReplayDeadLetter(ctx context.Context, id int64, now time.Time) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $1, attempts = 0, next_attempt_ms = $2,
			leased_next_ms = NULL, last_status = 0, last_error = '', created_at = $3 WHERE id = $4 AND status = $5`,
			callrec.DeliveryPending, now.UnixMilli(), now, id, callrec.DeliveryDead)
		if err != nil {
			return internal(err, "replaying dead letter")
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
	return d.events(ctx, `WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
}

// LastEventPosition is the position of the newest stored event (0 if none).
func (d *DB) LastEventPosition(ctx context.Context) (int64, error) {
	var p sql.NullInt64
	if err := d.db.QueryRowContext(ctx, `SELECT MAX(seq) FROM events`).Scan(&p); err != nil {
		return 0, internal(err, "reading events")
	}
	return p.Int64, nil
}
