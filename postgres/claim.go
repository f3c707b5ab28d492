package postgres

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"github.com/callrec/callrec"
)

// ClaimDue leases due deliveries, earliest due first, within each
// destination's budget (callrec.Outbox). One transaction: it locks due
// rows with FOR UPDATE SKIP LOCKED, so that claims running at the same
// time on other processes take other rows instead of waiting, takes those
// within budget and leases them at once; it asks again, without the
// destinations that filled up, until the limit is reached or nothing due is
// left; then it finds when the next delivery it could still take is due.
func (d *DB) ClaimDue(ctx context.Context, c callrec.Claim) ([]callrec.Delivery, time.Time, error) {
	var out []callrec.Delivery
	var next time.Time
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		taken := map[string]int{}
		for len(out) < c.Limit {
			want := c.Limit - len(out)
			ids, seen, err := pickDue(ctx, tx, c, taken, want)
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				got, err := leaseDeliveries(ctx, tx, ids, c.Now.Add(c.Lease))
				if err != nil {
					return err
				}
				out = append(out, got...)
			}
			if seen < want {
				break // nothing due is left
			}
		}
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			return a.NextAttemptAt.Before(b.NextAttemptAt) || a.NextAttemptAt.Equal(b.NextAttemptAt) && a.ID < b.ID
		})
		var err error
		next, err = nextDue(ctx, tx, fullDestinations(c, taken))
		return err
	})
	return out, next, err
}

// pickDue locks up to want due rows outside the full destinations and
// returns the ids of those within budget, counting them in taken, and how
// many rows it locked. A row it leaves is in a destination that is full
// now, so the next round does not see it again.
func pickDue(ctx context.Context, tx *sql.Tx, c callrec.Claim, taken map[string]int, want int) ([]int64, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, destination FROM deliveries
		WHERE status = $1 AND next_attempt_ms <= $2 AND destination <> ALL($3)
		ORDER BY next_attempt_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED`,
		callrec.DeliveryPending, c.Now.UnixMilli(), fullDestinations(c, taken), want)
	if err != nil {
		return nil, 0, internal(err, "reading outbox")
	}
	defer rows.Close()
	var ids []int64
	seen := 0
	for rows.Next() {
		var id int64
		var dest string
		if err := rows.Scan(&id, &dest); err != nil {
			return nil, 0, internal(err, "reading outbox")
		}
		seen++
		if c.Full(dest, taken[dest]) {
			continue
		}
		taken[dest]++
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, internal(err, "reading outbox")
	}
	return ids, seen, nil
}

// leaseDeliveries hides the deliveries ids from claims until until and
// returns them with their events, each with the time it was due.
func leaseDeliveries(ctx context.Context, tx *sql.Tx, ids []int64, until time.Time) ([]callrec.Delivery, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE deliveries d SET leased_next_ms = d.next_attempt_ms, next_attempt_ms = $1
		FROM events e WHERE e.id = d.event_id AND d.id = ANY($2)
		RETURNING d.id, d.url, d.schema, d.subscription, d.status, d.attempts, d.leased_next_ms, d.last_status,
		d.last_error, d.created_at, e.id, e.type, e.source, e.subject, e.time, e.data_version, e.data`,
		until.UnixMilli(), ids)
	if err != nil {
		return nil, internal(err, "leasing deliveries")
	}
	defer rows.Close()
	var out []callrec.Delivery
	for rows.Next() {
		del, err := scanDelivery(rows)
		if err != nil {
			return nil, internal(err, "leasing deliveries")
		}
		out = append(out, del)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "leasing deliveries")
	}
	return out, nil
}

// nextDue is when the earliest pending delivery outside the full
// destinations is due (zero if none).
func nextDue(ctx context.Context, tx *sql.Tx, full []string) (time.Time, error) {
	var next sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MIN(next_attempt_ms) FROM deliveries WHERE status = $1 AND destination <> ALL($2)`,
		callrec.DeliveryPending, full).Scan(&next)
	if err != nil {
		return time.Time{}, internal(err, "reading outbox")
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.UnixMilli(next.Int64).UTC(), nil
}

// fullDestinations lists the destinations that are full once taken more
// are counted.
func fullDestinations(c callrec.Claim, taken map[string]int) []string {
	full := []string{}
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

// RecordAttempts stores the outcomes of attempts in one transaction: the
// worker batches what finished since its last write, so that one commit
// serves many attempts.
func (d *DB) RecordAttempts(ctx context.Context, records []callrec.AttemptRecord) error {
	if len(records) == 0 {
		return nil
	}
	ids := make([]int64, len(records))
	statuses := make([]string, len(records))
	nexts := make([]int64, len(records))
	codes := make([]int64, len(records))
	errs := make([]string, len(records))
	for i, r := range records {
		a := r.Attempt
		next := a.Next
		if next.IsZero() {
			next = a.At
		}
		ids[i], statuses[i], nexts[i], codes[i], errs[i] = r.ID, string(a.Status), next.UnixMilli(), int64(a.HTTPStatus), a.Error
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries d SET attempts = d.attempts + 1, status = r.status,
			next_attempt_ms = r.next, leased_next_ms = NULL, last_status = r.code, last_error = r.error
			FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS r(id, status, next, code, error)
			WHERE d.id = r.id`, ids, statuses, nexts, codes, errs)
		if err != nil {
			return internal(err, "recording delivery attempts")
		}
		return nil
	})
}
