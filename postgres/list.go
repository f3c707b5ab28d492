package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/callrec/callrec"
)

// Lists page by seq: keyset pagination in insertion order, so a page costs
// the same wherever it is, and rows inserted while a list is read land
// after the cursor instead of shifting it.

// ListCalls returns a page of calls with their participants.
func (d *DB) ListCalls(ctx context.Context, q callrec.CallQuery) (*callrec.CallPage, error) {
	after, err := callrec.ParseCursor(q.After)
	if err != nil {
		return nil, err
	}
	limit := callrec.PageLimit(q.Limit)
	var where filters
	var args []any
	where.add(&args, "seq > $%d", after)
	if q.State != "" {
		where.add(&args, "state = $%d", q.State)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT seq, id, state, created_at, ended_at, node_id FROM calls WHERE `+
		where.String()+fmt.Sprintf(` ORDER BY seq LIMIT %d`, limit+1), args...)
	if err != nil {
		return nil, internal(err, "listing calls")
	}
	defer rows.Close()
	page := &callrec.CallPage{Calls: []*callrec.Call{}}
	byID := map[string]*callrec.Call{}
	var last int64
	for rows.Next() {
		if len(page.Calls) == limit {
			page.Next = strconv.FormatInt(last, 10)
			break
		}
		c := &callrec.Call{Participants: []callrec.Participant{}}
		var ended sql.NullTime
		if err := rows.Scan(&last, &c.ServerCallID, &c.State, &c.CreatedAt, &ended, &c.Node); err != nil {
			return nil, internal(err, "listing calls")
		}
		c.CreatedAt, c.EndedAt = utc(c.CreatedAt), timePtr(ended)
		page.Calls = append(page.Calls, c)
		byID[c.ServerCallID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "listing calls")
	}
	rows.Close()
	if len(page.Calls) == 0 {
		return page, nil
	}
	ids := make([]string, 0, len(page.Calls))
	for _, c := range page.Calls {
		ids = append(ids, c.ServerCallID)
	}
	err = d.participants(ctx, ids, func(callID string, p callrec.Participant) {
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
	limit := callrec.PageLimit(q.Limit)
	var where filters
	var args []any
	where.add(&args, "seq > $%d", after)
	if q.ServerCallID != "" {
		where.add(&args, "call_id = $%d", q.ServerCallID)
	}
	switch q.State {
	case "":
	case callrec.StateStopped:
		where = append(where, "stopped")
	default:
		where.add(&args, "NOT stopped AND state = $%d", q.State)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT seq, `+recordingColumns+` FROM recordings WHERE `+
		where.String()+fmt.Sprintf(` ORDER BY seq LIMIT %d`, limit+1), args...)
	if err != nil {
		return nil, internal(err, "listing recordings")
	}
	defer rows.Close()
	page := &callrec.RecordingPage{Recordings: []*callrec.Recording{}}
	var last int64
	for rows.Next() {
		if len(page.Recordings) == limit {
			page.Next = strconv.FormatInt(last, 10)
			break
		}
		r, err := scanRecording(seqScanner{rows, &last})
		if err != nil {
			return nil, err
		}
		page.Recordings = append(page.Recordings, r)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "listing recordings")
	}
	return page, nil
}

// filters is a WHERE clause's conditions, joined by AND.
type filters []string

// add appends cond, whose %d is the number of arg's placeholder, and arg.
func (f *filters) add(args *[]any, cond string, arg any) {
	*args = append(*args, arg)
	*f = append(*f, fmt.Sprintf(cond, len(*args)))
}

func (f filters) String() string { return strings.Join(f, " AND ") }

// seqScanner scans a leading seq column into seq, and the rest as the
// wrapped scanner's caller asks.
type seqScanner struct {
	s   scanner
	seq *int64
}

func (r seqScanner) Scan(dest ...any) error { return r.s.Scan(append([]any{r.seq}, dest...)...) }
