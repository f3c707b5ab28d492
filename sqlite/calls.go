package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/callrec/callrec"
)

// CreateCall stores a new call; an existing id is a CallAlreadyExists error.
func (d *DB) CreateCall(ctx context.Context, c *callrec.Call) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM calls WHERE id = ?`, c.ServerCallID).Scan(&one)
		if err == nil {
			return callrec.Errorf(callrec.KindConflict, callrec.CodeCallExists, "call %q already exists", c.ServerCallID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return callrec.Internal(err, "reading call")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO calls (id, state, created_at, ended_at, node_id) VALUES (?, ?, ?, ?, ?)`,
			c.ServerCallID, c.State, formatTime(c.CreatedAt), formatTimePtr(c.EndedAt), c.Node)
		if err != nil {
			return callrec.Internal(err, "storing call")
		}
		return nil
	})
}

// Call returns a call with its participants.
func (d *DB) Call(ctx context.Context, id string) (*callrec.Call, error) {
	c := &callrec.Call{ServerCallID: id, Participants: []callrec.Participant{}}
	var created string
	var ended sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT state, created_at, ended_at, node_id FROM calls WHERE id = ?`, id).
		Scan(&c.State, &created, &ended, &c.Node)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, callrec.Errorf(callrec.KindNotFound, callrec.CodeCallNotFound, "call %q not found", id)
	}
	if err != nil {
		return nil, callrec.Internal(err, "reading call")
	}
	c.CreatedAt, c.EndedAt = parseTime(created), parseTimePtr(ended)
	err = d.participants(ctx, "call_id = ?", []any{id}, func(_ string, p callrec.Participant) {
		c.Participants = append(c.Participants, p)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// participants calls add for each participant of the calls that the
// where clause selects, in join order.
func (d *DB) participants(ctx context.Context, where string, args []any, add func(callID string, p callrec.Participant)) error {
	rows, err := d.db.QueryContext(ctx,
		`SELECT call_id, raw_id, joined_at, left_at FROM participants WHERE `+where+` ORDER BY joined_at, raw_id`, args...)
	if err != nil {
		return callrec.Internal(err, "reading participants")
	}
	defer rows.Close()
	for rows.Next() {
		var p callrec.Participant
		var callID, joined string
		var left sql.NullString
		if err := rows.Scan(&callID, &p.RawID, &joined, &left); err != nil {
			return callrec.Internal(err, "reading participants")
		}
		p.JoinedAt, p.LeftAt = parseTime(joined), parseTimePtr(left)
		add(callID, p)
	}
	if err := rows.Err(); err != nil {
		return callrec.Internal(err, "reading participants")
	}
	return nil
}

// EndCall marks a call ended.
func (d *DB) EndCall(ctx context.Context, id string, t time.Time, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE calls SET state = ?, ended_at = ? WHERE id = ? AND state != ?`,
			callrec.CallEnded, formatTime(t), id, callrec.CallEnded)
		if err != nil {
			return callrec.Internal(err, "ending call")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return callrec.Errorf(callrec.KindNotFound, callrec.CodeCallNotFound, "call %q not found or already ended", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE participants SET left_at = ? WHERE call_id = ? AND left_at IS NULL`,
			formatTime(t), id); err != nil {
			return callrec.Internal(err, "ending call")
		}
		return insertEvents(ctx, tx, events)
	})
}

// JoinParticipant records a join or rejoin.
func (d *DB) JoinParticipant(ctx context.Context, callID, rawID string, t time.Time, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO participants (call_id, raw_id, joined_at) VALUES (?, ?, ?)
			ON CONFLICT (call_id, raw_id) DO UPDATE SET left_at = NULL`, callID, rawID, formatTime(t))
		if err != nil {
			return callrec.Internal(err, "storing participant")
		}
		return insertEvents(ctx, tx, events)
	})
}

// LeaveParticipant records a leave.
func (d *DB) LeaveParticipant(ctx context.Context, callID, rawID string, t time.Time, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE participants SET left_at = ? WHERE call_id = ? AND raw_id = ?`,
			formatTime(t), callID, rawID)
		if err != nil {
			return callrec.Internal(err, "storing participant")
		}
		return insertEvents(ctx, tx, events)
	})
}
