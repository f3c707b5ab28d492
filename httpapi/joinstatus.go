package httpapi

import (
	"net/http"
	"strings"

	"github.com/callrec/callrec"
)

// JoinVerifier checks a join token for a call: nil when token admits a
// participant to callID, else a coded error (401, 403).
type JoinVerifier func(token, callID string) error

// CodeMissingJoinToken marks a join-token route called without one.
const CodeMissingJoinToken = "MissingToken"

// joinStatus is one call's state as the join page shows it.
type joinStatus struct {
	ServerCallID string `json:"serverCallId"`
	// CallState is active or ended.
	CallState callrec.CallState `json:"callState"`
	// RecordingState is active while a recording of the call records,
	// inactive while every recording of it is paused, none otherwise.
	RecordingState string `json:"recordingState"`
}

// Recording states of a joinStatus beyond ACS's active and inactive.
const recordingNone = "none"

// serveJoinStatus answers GET /calls/{serverCallId}/status for a holder of
// a join token of that call (Authorization: Bearer <token>), not signed:
// the join page polls it to show whether the call is being recorded.
func (s *Server) serveJoinStatus(w http.ResponseWriter, r *http.Request, seg string) {
	err := func() error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed(w, r, http.MethodGet, http.MethodHead)
		}
		callID, err := unescapeID(seg)
		if err != nil {
			return err
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if token = strings.TrimSpace(token); !strings.EqualFold(scheme, "Bearer") || token == "" {
			return callrec.Errorf(callrec.KindUnauthorized, CodeMissingJoinToken, "send the join token as Authorization: Bearer <token>")
		}
		if err := s.cfg.JoinTokens(token, callID); err != nil {
			return err
		}
		call, err := s.cfg.Calls.Call(r.Context(), callID)
		if err != nil {
			return err
		}
		st := joinStatus{ServerCallID: callID, CallState: call.State, RecordingState: recordingNone}
		for _, state := range []callrec.RecordingState{callrec.StateActive, callrec.StateInactive} {
			page, err := s.cfg.Recordings.ListRecordings(r.Context(), callrec.RecordingQuery{ServerCallID: callID, State: state, Limit: 1})
			if err != nil {
				return err
			}
			if len(page.Recordings) > 0 {
				st.RecordingState = string(state)
				break
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, st)
		return nil
	}()
	if err != nil {
		s.writeError(w, r, err, false)
	}
}
