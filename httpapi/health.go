package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// CodeNotReady is the error code of a /readyz that is not ready.
const CodeNotReady = "NotReady"

// readyTimeout bounds one readiness check.
const readyTimeout = 2 * time.Second

// Health serves the probes, unauthenticated: /healthz answers 200
// {"status":"ok"} while the process serves at all (liveness); /readyz
// answers 200 {"status":"ready"} when ready returns nil, and otherwise 503
// with an error body whose code is NotReady and whose message says why
// (readiness: take this node out of rotation). A nil ready is always
// ready.
func Health(ready func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, acswire.ErrorResponse{Error: acswire.ErrorDetail{
				Code: callrec.CodeMethodNotAllowed, Message: "the probes answer GET and HEAD"}})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Path != "/readyz" {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
			return
		}
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if err := ready(ctx); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, acswire.ErrorResponse{Error: acswire.ErrorDetail{
					Code: CodeNotReady, Message: callrec.AsError(err).Message}})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
