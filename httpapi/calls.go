package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// routeCalls serves callrec's own call API: POST|GET /calls, GET|DELETE
// /calls/{id} (GET lists the call's recordings), POST /calls/{id}/tokens.
func (s *Server) routeCalls(w http.ResponseWriter, r *http.Request, segs []string, body []byte) error {
	ctx := r.Context()
	switch len(segs) {
	case 0:
		if r.Method == http.MethodGet {
			return s.listCalls(w, r)
		}
		if r.Method != http.MethodPost {
			return methodNotAllowed(w, r, http.MethodGet, http.MethodPost)
		}
		var req struct {
			ServerCallID string `json:"serverCallId"`
		}
		if len(body) > 0 {
			if err := decodeJSON(r, body, &req); err != nil {
				return err
			}
		}
		c, err := s.cfg.Calls.CreateCall(ctx, req.ServerCallID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, c)
		return nil
	case 1:
		id, err := unescapeID(segs[0])
		if err != nil {
			return err
		}
		switch r.Method {
		case http.MethodGet:
			c, err := s.cfg.Calls.Call(ctx, id)
			if err != nil {
				return err
			}
			recs, err := s.callRecordings(ctx, id)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, acswire.CallDetails{Call: *c, Recordings: recs})
			return nil
		case http.MethodDelete:
			if err := s.cfg.Calls.EndCall(ctx, id); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return methodNotAllowed(w, r, http.MethodGet, http.MethodDelete)
	case 2:
		if segs[1] != "tokens" || s.cfg.Tokens == nil {
			break
		}
		if r.Method != http.MethodPost {
			return methodNotAllowed(w, r, http.MethodPost)
		}
		id, err := unescapeID(segs[0])
		if err != nil {
			return err
		}
		return s.mintToken(w, r, id, body)
	}
	return routeNotFound(r)
}

// Join tokens live at most this long.
const maxTokenTTL = 24 * time.Hour

func (s *Server) mintToken(w http.ResponseWriter, r *http.Request, callID string, body []byte) error {
	var req struct {
		Participant string `json:"participant"`
		TTLSeconds  int    `json:"ttlSeconds"`
	}
	if err := decodeJSON(r, body, &req); err != nil {
		return err
	}
	if req.Participant == "" {
		return callrec.FieldErrorf("participant", callrec.CodeInvalidRequest, "participant (a rawId such as 8:acs:… or 4:+1…) is required")
	}
	ttl := time.Hour
	if req.TTLSeconds != 0 {
		ttl = time.Duration(req.TTLSeconds) * time.Second
		if ttl <= 0 || ttl > maxTokenTTL {
			return callrec.FieldErrorf("ttlSeconds", callrec.CodeInvalidRequest, "ttlSeconds must be between 1 and %d", int(maxTokenTTL.Seconds()))
		}
	}
	c, err := s.cfg.Calls.Call(r.Context(), callID)
	if err != nil {
		return err
	}
	if c.State != callrec.CallActive {
		return callrec.Errorf(callrec.KindNotFound, callrec.CodeCallEnded, "call %q has ended", callID)
	}
	token, exp, err := s.cfg.Tokens.Issue(r.Context(), callID, req.Participant, ttl)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":     token,
		"expiresOn": exp.UTC(),
		"whipUrl":   s.cfg.PublicURL + "/calls/" + acswire.EscapeComponent(callID) + "/whip",
		"joinUrl":   s.cfg.PublicURL + "/join?call=" + url.QueryEscape(callID) + "&token=" + url.QueryEscape(token),
	})
	return nil
}
