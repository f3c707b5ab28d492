package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/callrec/callrec"
)

// Lists page by rowid: keyset pagination in insertion order, so a page
// costs the same wherever it is, and rows inserted while a list is read
// land after the cursor instead of shifting it. The tables have no INTEGER
// PRIMARY KEY, so only VACUUM could renumber rowids; callrec never runs it.

// ListCalls returns a page of calls with their participants.
func (d *DB) ListCalls(ctx context.Context, q callrec.CallQuery) (*callrec.CallPage, error) {
	after, err := callrec.ParseCursor(q.After)
	if err != nil {
		return nil, err
	}
	where, args := []string{"rowid > ?"}, []any{after}
	if q.State != "" {
		where, args = append(where, "state = ?"), append(args, q.State)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT rowid, id, state, created_at, ended_at, node_id FROM calls WHERE `+
		strings.Join(where, " AND ")+` ORDER BY rowid LIMIT ?`, append(args, callrec.PageLimit(q.Limit)+1)...)
	if err != nil {
		return nil, callrec.Internal(err, "listing calls")
	}
	defer rows.Close()
	page := &callrec.CallPage{Calls: []*callrec.Call{}}
	byID := map[string]*callrec.Call{}
	var last int64
	for rows.Next() {
		if len(page.Calls) == callrec.PageLimit(q.Limit) {
			page.Next = strconv.FormatInt(last, 10)
			break
		}
		c := &callrec.Call{Participants: []callrec.Participant{}}
		var created string
		var ended sql.NullString
		if err := rows.Scan(&last, &c.ServerCallID, &c.State, &created, &ended, &c.Node); err != nil {
			return nil, callrec.Internal(err, "listing calls")
		}
		c.CreatedAt, c.EndedAt = parseTime(created), parseTimePtr(ended)
		page.Calls = append(page.Calls, c)
		byID[c.ServerCallID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, callrec.Internal(err, "listing calls")
	}
	rows.Close()
	if len(page.Calls) == 0 {
		return page, nil
	}
	ids := make([]any, 0, len(page.Calls))
	for _, c := range page.Calls {
		ids = append(ids, c.ServerCallID)
	}
	err = d.participants(ctx, `call_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, ids, func(callID string, p callrec.Participant) {
		c := byID[callID]
		c.Participants = append(c.Participants, p)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// ListRecordings returns a page of recordings, stopped or not.
func (d *DB) ListRecordings(ctx context.Context, q callrec.RecordingQuery) (*callrec.RecordingPage, error) {
	after, err := callrec.ParseCursor(q.After)
	if err != nil {
		return nil, err
	}
	where, args := []string{"rowid > ?"}, []any{after}
	if q.ServerCallID != "" {
		where, args = append(where, "call_id = ?"), append(args, q.ServerCallID)
	}
	switch q.State {
	case "":
	case callrec.StateStopped:
		where = append(where, "stopped = 1")
	default:
		where, args = append(where, "stopped = 0 AND state = ?"), append(args, q.State)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT rowid, `+recordingColumns+` FROM recordings WHERE `+
		strings.Join(where, " AND ")+` ORDER BY rowid LIMIT ?`, append(args, callrec.PageLimit(q.Limit)+1)...)
	if err != nil {
		return nil, callrec.Internal(err, "listing recordings")
	}
	defer rows.Close()
	page := &callrec.RecordingPage{Recordings: []*callrec.Recording{}}
	var last int64
	for rows.Next() {
		if len(page.Recordings) == callrec.PageLimit(q.Limit) {
			page.Next = strconv.FormatInt(last, 10)
			break
		}
		r, err := scanRecording(rowidScanner{rows, &last})
		if err != nil {
			return nil, err
		}
		page.Recordings = append(page.Recordings, r)
	}
	if err := rows.Err(); err != nil {
		return nil, callrec.Internal(err, "listing recordings")
	}
	return page, nil
}

// rowidScanner scans a leading rowid column into rowid, and the rest as
// the wrapped scanner's caller asks.
type rowidScanner struct {
	s     scanner
	rowid *int64
}

func (r rowidScanner) Scan(dest ...any) error { return r.s.Scan(append([]any{r.rowid}, dest...)...) }
