package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/callrec/callrec"
)

// ClaimDue leases due deliveries, earliest due first, within each
// destination's budget (callrec.Outbox). One transaction: it picks ids
// from the due index, skipping destinations that are full in SQL and
// those that fill up as it goes in Go, then reads and leases the picked
// rows, and finds when the next delivery it could still take is due.
func (d *DB) ClaimDue(ctx context.Context, c callrec.Claim) ([]callrec.Delivery, time.Time, error) {
	var out []callrec.Delivery
	var next time.Time
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		ids, taken, err := pickDue(ctx, tx, c)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			if out, err = leaseDeliveries(ctx, tx, ids, c.Now.Add(c.Lease)); err != nil {
				return err
			}
		}
		next, err = nextDue(ctx, tx, fullDestinations(c, taken))
		return err
	})
	return out, next, err
}

// pickDue chooses the ids to claim and counts them by destination. Rows
// stored before the destination column existed get theirs now.
func pickDue(ctx context.Context, tx *sql.Tx, c callrec.Claim) ([]int64, map[string]int, error) {
	taken := map[string]int{}
	if c.Limit <= 0 {
		return nil, taken, nil
	}
	full := fullDestinations(c, nil)
	rows, err := tx.QueryContext(ctx, `SELECT id, url, destination FROM deliveries
		WHERE status = ? AND next_attempt_ms <= ?`+notIn("destination", len(full))+`
		ORDER BY next_attempt_ms, id`, append([]any{callrec.DeliveryPending, c.Now.UnixMilli()}, full...)...)
	if err != nil {
		return nil, nil, callrec.Internal(err, "reading outbox")
	}
	var ids []int64
	unnamed := map[int64]string{}
	for len(ids) < c.Limit && rows.Next() {
		var id int64
		var url, dest string
		if err := rows.Scan(&id, &url, &dest); err != nil {
			rows.Close()
			return nil, nil, callrec.Internal(err, "reading outbox")
		}
		if dest == "" {
			dest = callrec.Target{URL: url}.Destination()
			unnamed[id] = dest
		}
		if c.Full(dest, taken[dest]) {
			continue
		}
		taken[dest]++
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, callrec.Internal(err, "reading outbox")
	}
	for id, dest := range unnamed {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET destination = ? WHERE id = ?`, dest, id); err != nil {
			return nil, nil, callrec.Internal(err, "naming delivery destination")
		}
	}
	return ids, taken, nil
}

// leaseDeliveries reads the deliveries ids with their events, earliest due
// first, and hides them from claims until until.
func leaseDeliveries(ctx context.Context, tx *sql.Tx, ids []int64, until time.Time) ([]callrec.Delivery, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := " IN (" + placeholders(len(ids)) + ")"
	rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.id`+in+` ORDER BY d.next_attempt_ms, d.id`, args...)
	if err != nil {
		return nil, callrec.Internal(err, "reading outbox")
	}
	var out []callrec.Delivery
	for rows.Next() {
		del, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, del)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, callrec.Internal(err, "reading outbox")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET leased_next_ms = next_attempt_ms, next_attempt_ms = ?
		WHERE id`+in, append([]any{until.UnixMilli()}, args...)...); err != nil {
		return nil, callrec.Internal(err, "leasing deliveries")
	}
	return out, nil
}

// nextDue is when the earliest pending delivery outside the full
// destinations is due (zero if none).
func nextDue(ctx context.Context, tx *sql.Tx, full []any) (time.Time, error) {
	var next int64
	err := tx.QueryRowContext(ctx, `SELECT next_attempt_ms FROM deliveries WHERE status = ?`+notIn("destination", len(full))+`
		ORDER BY next_attempt_ms LIMIT 1`, append([]any{callrec.DeliveryPending}, full...)...).Scan(&next)
	switch {
	case err == sql.ErrNoRows:
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, callrec.Internal(err, "reading outbox")
	}
	return time.UnixMilli(next).UTC(), nil
}

// fullDestinations lists, as query arguments, the destinations that are
// full once taken more are counted.
func fullDestinations(c callrec.Claim, taken map[string]int) []any {
	var full []any
	seen := map[string]bool{}
	for _, m := range []map[string]int{c.Held, taken} {
		for dest := range m {
			if !seen[dest] && c.Full(dest, taken[dest]) {
				seen[dest] = true
				full = append(full, dest)
			}
		}
	}
	return full
}

// notIn is " AND col NOT IN (?, …)" for n values, or "" for none.
func notIn(col string, n int) string {
	if n == 0 {
		return ""
	}
	return " AND " + col + " NOT IN (" + placeholders(n) + ")"
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// RecordAttempts stores the outcomes of attempts in one transaction: the
// worker batches what finished since its last write, so that one commit
// serves many attempts.
func (d *DB) RecordAttempts(ctx context.Context, records []callrec.AttemptRecord) error {
	if len(records) == 0 {
		return nil
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, status = ?, next_attempt_ms = ?,
			leased_next_ms = NULL, last_status = ?, last_error = ? WHERE id = ?`)
		if err != nil {
			return callrec.Internal(err, "recording delivery attempts")
		}
		defer stmt.Close()
		for _, r := range records {
			a := r.Attempt
			next := a.Next
			if next.IsZero() {
				next = a.At
			}
			if _, err := stmt.ExecContext(ctx, a.Status, next.UnixMilli(), a.HTTPStatus, a.Error, r.ID); err != nil {
				return callrec.Internal(err, "recording delivery attempts")
			}
		}
		return nil
	})
}
