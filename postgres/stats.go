package postgres

import (
	"context"

	"github.com/callrec/callrec"
)

// CountDeliveries counts the outbox's deliveries by status (the webhook
// worker's outbox gauges).
func (d *DB) CountDeliveries(ctx context.Context) (map[callrec.DeliveryStatus]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM deliveries GROUP BY status`)
	if err != nil {
		return nil, internal(err, "counting deliveries")
	}
	defer rows.Close()
	out := map[callrec.DeliveryStatus]int64{}
	for rows.Next() {
		var s callrec.DeliveryStatus
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, internal(err, "counting deliveries")
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "counting deliveries")
	}
	return out, nil
}

// Ping reads the schema version: it fails when the database cannot be
// read (readiness).
func (d *DB) Ping(ctx context.Context) error {
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version`).Scan(&n); err != nil {
		return internal(err, "reading the state database")
	}
	return nil
}
