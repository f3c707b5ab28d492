package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// The list routes (callrec extensions) answer pages shaped as ACS's paged
// lists: {"value": [...], "nextLink": "<absolute URL of the next page>"}.
// nextLink repeats the request's filters and adds continuationToken, an
// opaque cursor; maxPageSize bounds a page (default 100, at most 1000).
//
//	GET /calls?state=active|ended
//	GET /calling/recordings?serverCallId=ID&state=active|inactive|stopped

// Query parameters of the list routes.
const (
	paramState        = "state"
	paramServerCallID = "serverCallId"
	paramMaxPageSize  = "maxPageSize"
	paramContinuation = "continuationToken"
	paramAPIVersion   = "api-version"
)

// listCalls serves GET /calls.
func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, paramState, paramMaxPageSize, paramContinuation, paramAPIVersion); err != nil {
		return err
	}
	var query callrec.CallQuery
	var err error
	if v := q.Get(paramState); v != "" {
		var ok bool
		if query.State, ok = callrec.ParseCallState(v); !ok {
			return callrec.FieldErrorf(paramState, callrec.CodeInvalidRequest, "state %q is not a call state: use active or ended", v)
		}
	}
	if query.Limit, query.After, err = pageParams(q, "calls"); err != nil {
		return err
	}
	page, err := s.cfg.Calls.ListCalls(r.Context(), query)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acswire.Page[*callrec.Call]{Value: page.Calls, NextLink: s.nextLink(r, "calls", page.Next)})
	return nil
}

// listRecordings serves GET /calling/recordings.
func (s *Server) listRecordings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, paramServerCallID, paramState, paramMaxPageSize, paramContinuation, paramAPIVersion); err != nil {
		return err
	}
	var query callrec.RecordingQuery
	var err error
	query.ServerCallID = q.Get(paramServerCallID)
	if v := q.Get(paramState); v != "" {
		var ok bool
		if query.State, ok = callrec.ParseListedState(v); !ok {
			return callrec.FieldErrorf(paramState, callrec.CodeInvalidRequest,
				"state %q is not a recording state: use active, inactive or stopped", v)
		}
	}
	if query.Limit, query.After, err = pageParams(q, "recordings"); err != nil {
		return err
	}
	page, err := s.cfg.Recordings.ListRecordings(r.Context(), query)
	if err != nil {
		return err
	}
	out := acswire.Page[acswire.RecordingSummary]{Value: make([]acswire.RecordingSummary, 0, len(page.Recordings))}
	for _, rec := range page.Recordings {
		out.Value = append(out.Value, acswire.Summary(rec))
	}
	out.NextLink = s.nextLink(r, "recordings", page.Next)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// callRecordings lists every recording of a call, for GET /calls/{id}.
func (s *Server) callRecordings(ctx context.Context, callID string) ([]acswire.RecordingSummary, error) {
	out := []acswire.RecordingSummary{}
	q := callrec.RecordingQuery{ServerCallID: callID, Limit: callrec.MaxPageSize}
	for {
		page, err := s.cfg.Recordings.ListRecordings(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Recordings {
			out = append(out, acswire.Summary(rec))
		}
		if page.Next == "" {
			return out, nil
		}
		q.After = page.Next
	}
}

// onlyParams rejects query parameters a list route does not know, so that
// a misspelt filter is an error rather than a list of everything.
func onlyParams(q url.Values, known ...string) error {
	for name := range q {
		if !slices.Contains(known, name) {
			return callrec.FieldErrorf(name, callrec.CodeInvalidRequest,
				"unknown query parameter %q; this route takes %s", name, strings.Join(known, ", "))
		}
	}
	return nil
}

// pageParams reads maxPageSize and continuationToken; list names the list
// the token must have been issued for.
func pageParams(q url.Values, list string) (limit int, after string, err error) {
	if v := q.Get(paramMaxPageSize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > callrec.MaxPageSize {
			return 0, "", callrec.FieldErrorf(paramMaxPageSize, callrec.CodeInvalidRequest,
				"maxPageSize %q must be a whole number between 1 and %d", v, callrec.MaxPageSize)
		}
		limit = n
	}
	if v := q.Get(paramContinuation); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		cursor, ok := strings.CutPrefix(string(raw), list+":")
		if err != nil || !ok || cursor == "" {
			return 0, "", &callrec.Error{Kind: callrec.KindInvalid, Code: callrec.CodeInvalidContinuationToken, Target: paramContinuation,
				Message: "continuationToken was not issued for this list; start the list again without it"}
		}
		after = cursor
	}
	return limit, after, nil
}

// nextLink is the absolute URL of the page after cursor: the request's own
// query with continuationToken replaced. Empty when there is no next page.
func (s *Server) nextLink(r *http.Request, list, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set(paramContinuation, base64.RawURLEncoding.EncodeToString([]byte(list+":"+cursor)))
	return strings.TrimRight(s.cfg.PublicURL, "/") + r.URL.EscapedPath() + "?" + q.Encode()
}
