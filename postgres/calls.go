package postgres

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
		res, err := tx.ExecContext(ctx, `INSERT INTO calls (id, state, created_at, ended_at, node_id) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, c.ServerCallID, c.State, c.CreatedAt, nullTime(c.EndedAt), c.Node)
		if err != nil {
			return internal(err, "storing call")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return callrec.Errorf(callrec.KindConflict, callrec.CodeCallExists, "call %q already exists", c.ServerCallID)
		}
		return nil
	})
}

// Call returns a call with its participants.
func (d *DB) Call(ctx context.Context, id string) (*callrec.Call, error) {
	c := &callrec.Call{ServerCallID: id, Participants: []callrec.Participant{}}
	var ended sql.NullTime
	err := d.db.QueryRowContext(ctx, `SELECT state, created_at, ended_at, node_id FROM calls WHERE id = $1`, id).
		Scan(&c.State, &c.CreatedAt, &ended, &c.Node)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, callrec.Errorf(callrec.KindNotFound, callrec.CodeCallNotFound, "call %q not found", id)
	}
	if err != nil {
		return nil, internal(err, "reading call")
	}
	c.CreatedAt, c.EndedAt = utc(c.CreatedAt), timePtr(ended)
	err = d.participants(ctx, []string{id}, func(_ string, p callrec.Participant) {
		c.Participants = append(c.Participants, p)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// participants calls add for each participant of the calls ids, in join
// order.
func (d *DB) participants(ctx context.Context, ids []string, add func(callID string, p callrec.Participant)) error {
	rows, err := d.db.QueryContext(ctx, `SELECT call_id, raw_id, joined_at, left_at FROM participants
		WHERE call_id = ANY($1) ORDER BY joined_at, raw_id`, ids)
	if err != nil {
		return internal(err, "reading participants")
	}
	defer rows.Close()
	for rows.Next() {
		var p callrec.Participant
		var callID string
		var left sql.NullTime
		if err := rows.Scan(&callID, &p.RawID, &p.JoinedAt, &left); err != nil {
			return internal(err, "reading participants")
		}
		p.JoinedAt, p.LeftAt = utc(p.JoinedAt), timePtr(left)
		add(callID, p)
	}
	if err := rows.Err(); err != nil {
		return internal(err, "reading participants")
	}
	return nil
}

// EndCall marks a call ended.
func (d *DB) EndCall(ctx context.Context, id string, t time.Time, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE calls SET state = $1, ended_at = $2 WHERE id = $3 AND state != $1`,
			callrec.CallEnded, t, id)
		if err != nil {
			return internal(err, "ending call")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return callrec.Errorf(callrec.KindNotFound, callrec.CodeCallNotFound, "call %q not found or already ended", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE participants SET left_at = $1 WHERE call_id = $2 AND left_at IS NULL`,
			t, id); err != nil {
			return internal(err, "ending call")
		}
		return insertEvents(ctx, tx, events)
	})
}

// JoinParticipant records a join or rejoin.
func (d *DB) JoinParticipant(ctx context.Context, callID, rawID string, t time.Time, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO participants (call_id, raw_id, joined_at) VALUES ($1, $2, $3)
			ON CONFLICT (call_id, raw_id) DO UPDATE SET left_at = NULL`, callID, rawID, t)
		if err != nil {
			return internal(err, "storing participant")
		}
		return insertEvents(ctx, tx, events)
	})
}

// LeaveParticipant records a leave.
func (d *DB) LeaveParticipant(ctx context.Context, callID, rawID string, t time.Time, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE participants SET left_at = $1 WHERE call_id = $2 AND raw_id = $3`,
			t, callID, rawID)
		if err != nil {
			return internal(err, "storing participant")
		}
		return insertEvents(ctx, tx, events)
	})
}
