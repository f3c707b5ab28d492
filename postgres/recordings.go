package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/callrec/callrec"
)

const recordingColumns = `id, repeatability_id, state, stopped, spec, started_at, stopped_at, end_reason, pauses, chunks`

// CreateRecording stores r, or returns the recording that already holds
// r.RepeatabilityID. Two processes creating with the same id race on the
// unique index: one inserts, the other reads the winner's recording.
func (d *DB) CreateRecording(ctx context.Context, r *callrec.Recording, events ...callrec.Outgoing) (*callrec.Recording, bool, error) {
	var existing *callrec.Recording
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		spec, pauses, chunks, err := marshalRecording(r)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO recordings (`+recordingColumns+`, call_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (repeatability_id) DO NOTHING`,
			r.ID, nullString(r.RepeatabilityID), r.State, r.Stopped, spec, r.StartedAt,
			nullTime(r.StoppedAt), r.EndReason, pauses, chunks, r.Spec.ServerCallID)
		if err != nil {
			return internal(err, "storing recording")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			existing, err = scanRecording(tx.QueryRowContext(ctx, `SELECT `+recordingColumns+` FROM recordings
				WHERE repeatability_id = $1`, r.RepeatabilityID))
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return existing, false, nil
	}
	return r, true, nil
}

// Recording returns a recording, stopped or not.
func (d *DB) Recording(ctx context.Context, id string) (*callrec.Recording, error) {
	return scanRecording(d.db.QueryRowContext(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE id = $1`, id))
}

// UpdateRecording saves the mutable fields of r.
func (d *DB) UpdateRecording(ctx context.Context, r *callrec.Recording, events ...callrec.Outgoing) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, pauses, chunks, err := marshalRecording(r)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE recordings SET state = $1, stopped = $2, stopped_at = $3, end_reason = $4,
			pauses = $5, chunks = $6 WHERE id = $7`,
			r.State, r.Stopped, nullTime(r.StoppedAt), r.EndReason, pauses, chunks, r.ID)
		if err != nil {
			return internal(err, "storing recording")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return callrec.Errorf(callrec.KindNotFound, callrec.CodeRecordingNotFound, "recording %q not found", r.ID)
		}
		return insertEvents(ctx, tx, events)
	})
}

// RecordingsOfCall returns a call's recordings that are not stopped.
func (d *DB) RecordingsOfCall(ctx context.Context, callID string) ([]*callrec.Recording, error) {
	return d.queryRecordings(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE call_id = $1 AND NOT stopped
		ORDER BY started_at, seq`, callID)
}

// LiveRecordings returns every recording that is not stopped, for restart
// recovery.
func (d *DB) LiveRecordings(ctx context.Context) ([]*callrec.Recording, error) {
	return d.queryRecordings(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE NOT stopped ORDER BY started_at, seq`)
}

func (d *DB) queryRecordings(ctx context.Context, query string, args ...any) ([]*callrec.Recording, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, internal(err, "reading recordings")
	}
	defer rows.Close()
	var out []*callrec.Recording
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "reading recordings")
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRecording(s scanner) (*callrec.Recording, error) {
	var r callrec.Recording
	var rep sql.NullString
	var stoppedAt sql.NullTime
	var spec, pauses, chunks []byte
	err := s.Scan(&r.ID, &rep, &r.State, &r.Stopped, &spec, &r.StartedAt, &stoppedAt, &r.EndReason, &pauses, &chunks)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, callrec.Errorf(callrec.KindNotFound, callrec.CodeRecordingNotFound, "recording not found")
	}
	if err != nil {
		return nil, internal(err, "reading recording")
	}
	r.RepeatabilityID = rep.String
	r.StartedAt, r.StoppedAt = utc(r.StartedAt), timePtr(stoppedAt)
	if err := errors.Join(json.Unmarshal(spec, &r.Spec), json.Unmarshal(pauses, &r.Pauses),
		json.Unmarshal(chunks, &r.Chunks)); err != nil {
		return nil, internal(err, "decoding recording")
	}
	return &r, nil
}

func marshalRecording(r *callrec.Recording) (spec, pauses, chunks string, err error) {
	s, err1 := json.Marshal(r.Spec)
	p, err2 := json.Marshal(orEmpty(r.Pauses))
	c, err3 := json.Marshal(orEmpty(r.Chunks))
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", "", "", internal(err, "encoding recording")
	}
	return string(s), string(p), string(c), nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
