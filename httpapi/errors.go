package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
	"github.com/callrec/callrec/internal/httperr"
)

// writeError answers with an ACS CommunicationErrorResponse. Content routes
// also carry top-level status and message, which is what the official JS
// SDK's downloader reads.
// unavailableRetryAfter is the Retry-After (seconds) of a 503 that set
// none of its own: the database away, every node full.
const unavailableRetryAfter = 5

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error, content bool) {
	e := callrec.AsError(err)
	status := httperr.Status(e.Kind)
	switch {
	case e.Kind == callrec.KindUnavailable: // busy, shutting down, storage away, every node full: it passes
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(unavailableRetryAfter))
		}
		s.log.WarnContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.EscapedPath(), "code", e.Code, "err", err)
	case status >= 500:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.EscapedPath(), "code", e.Code, "err", err)
	default:
		s.log.InfoContext(r.Context(), "request rejected", "method", r.Method, "path", r.URL.EscapedPath(), "status", status, "code", e.Code, "message", e.Message)
	}
	body := acswire.ErrorResponse{Error: acswire.ErrorDetail{Code: e.Code, Message: e.Message, Target: e.Target}}
	if content {
		body.Status, body.Message = status, e.Message
	}
	writeJSON(w, status, body)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalError","message":"encoding the response failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
