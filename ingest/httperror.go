package ingest

import (
	"encoding/json"
	"net/http"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/httperr"
)

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
	status := httperr.Status(e.Kind)
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
