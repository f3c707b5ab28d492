package ingest

import (
	"encoding/json"
	"net/http"

	"github.com/callrec/callrec"
)

// statusOf maps an error kind to its HTTP status (the same mapping as the
// REST edge).
func statusOf(kind callrec.ErrorKind) int {
	switch kind {
	case callrec.KindInvalid:
		return http.StatusBadRequest
	case callrec.KindUnauthorized:
		return http.StatusUnauthorized
	case callrec.KindForbidden:
		return http.StatusForbidden
	case callrec.KindNotFound:
		return http.StatusNotFound
	case callrec.KindConflict:
		return http.StatusConflict
	case callrec.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case callrec.KindUnsupported:
		return http.StatusUnsupportedMediaType
	case callrec.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

// writeError answers with err as {"error":{"code","message"}} and its status.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := callrec.AsError(err)
	status := statusOf(e.Kind)
	switch {
	case status == http.StatusServiceUnavailable:
		s.log.Warn("request refused", "method", r.Method, "path", r.URL.Path, "code", e.Code)
	case status >= 500:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	default:
		s.log.Info("request rejected", "method", r.Method, "path", r.URL.Path, "code", e.Code)
	}
	s.metrics.rejectedRequest(e.Code)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="callrec"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Target: e.Target}})
}
