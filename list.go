package callrec

import (
	"strconv"
	"strings"
)

// Lists of calls and recordings (callrec extensions: ACS has no REST route
// that lists either). They are read in pages: a query names a filter, the
// most items to return and the cursor where the previous page stopped; the
// answer carries the cursor of the next page, empty after the last one.
// Cursors are opaque to callers and stable under inserts, so a list that is
// read while calls and recordings are created neither skips nor repeats one.

// Page sizes of list queries.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// CodeInvalidContinuationToken answers a cursor the server did not issue.
const CodeInvalidContinuationToken = "InvalidContinuationToken"

// StateStopped is the state lists give a stopped recording. ACS's state
// route knows only active and inactive: it answers 404 for a stopped
// recording, and so does callrec's.
const StateStopped RecordingState = "stopped"

// ListedState is r's state as lists show it: active, inactive, or stopped.
func (r *Recording) ListedState() RecordingState {
	if r.Stopped {
		return StateStopped
	}
	return r.State
}

// ParseListedState parses a recording state filter: active, inactive or
// stopped, case-insensitively.
func ParseListedState(s string) (RecordingState, bool) {
	return parseEnum(s, StateActive, StateInactive, StateStopped)
}

// ParseCallState parses a call state filter: active or ended,
// case-insensitively.
func ParseCallState(s string) (CallState, bool) {
	return parseEnum(s, CallActive, CallEnded)
}

// CallQuery selects a page of calls, in the order they were created.
type CallQuery struct {
	State CallState // empty: every call
	After string    // cursor from the previous page; empty: the first page
	Limit int       // 1..MaxPageSize
}

// CallPage is one page of calls, each with its participants.
type CallPage struct {
	Calls []*Call
	Next  string // cursor of the next page; empty after the last page
}

// RecordingQuery selects a page of recordings, in the order they started.
type RecordingQuery struct {
	ServerCallID string         // empty: recordings of every call
	State        RecordingState // active, inactive, stopped; empty: any
	After        string
	Limit        int
}

// RecordingPage is one page of recordings.
type RecordingPage struct {
	Recordings []*Recording
	Next       string
}

// parseEnum returns the value of vs that s spells, case-insensitively.
func parseEnum[T ~string](s string, vs ...T) (T, bool) {
	for _, v := range vs {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	return "", false
}

// PageLimit bounds a query's limit to 1..MaxPageSize; 0 means the default.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// ParseCursor reads a stores' list cursor: the position (a positive
// integer) of the last item of the previous page; "" is the start.
func ParseCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, Errorf(KindInvalid, CodeInvalidContinuationToken,
			"the continuation token was not issued by this server; start the list again without it")
	}
	return n, nil
}
