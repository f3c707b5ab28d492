package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/callrec/callrec"
)

var _ callrec.CallConnectionStore = (*DB)(nil)

// PutCallConnection creates or replaces a call connection.
func (d *DB) PutCallConnection(ctx context.Context, c *callrec.CallConnection, events ...callrec.Outgoing) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return callrec.Internal(err, "encoding call connection")
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO call_connections (id, call_id, created_at, doc) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, c.ID, c.ServerCallID, formatTime(c.CreatedAt), string(doc))
		if err != nil {
			return callrec.Internal(err, "storing call connection")
		}
		return insertEvents(ctx, tx, events)
	})
}

// CallConnection returns a call connection.
func (d *DB) CallConnection(ctx context.Context, id string) (*callrec.CallConnection, error) {
	var doc string
	err := d.db.QueryRowContext(ctx, `SELECT doc FROM call_connections WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, callrec.Errorf(callrec.KindNotFound, callrec.CodeCallConnectionNotFound, "call connection %q not found", id)
	}
	if err != nil {
		return nil, callrec.Internal(err, "reading call connection")
	}
	return callrec.DecodeCallConnection([]byte(doc))
}

// CallConnectionsOfCall returns a call's connections, oldest first.
func (d *DB) CallConnectionsOfCall(ctx context.Context, callID string) ([]*callrec.CallConnection, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT doc FROM call_connections WHERE call_id = ? ORDER BY created_at, id`, callID)
	if err != nil {
		return nil, callrec.Internal(err, "reading call connections")
	}
	defer rows.Close()
	out := []*callrec.CallConnection{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, callrec.Internal(err, "reading call connections")
		}
		c, err := callrec.DecodeCallConnection([]byte(doc))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, callrec.Internal(err, "reading call connections")
	}
	return out, nil
}

// AddEvents stores events on their own.
func (d *DB) AddEvents(ctx context.Context, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, events) })
}
