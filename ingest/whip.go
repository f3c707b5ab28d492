package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/pion/sdp/v3"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/ingest/rtcrecv"
	"github.com/callrec/callrec/jointoken"
)

// WHIP error codes.
const (
	CodeInvalidSDP      = "InvalidSdp"
	CodeNoOpusAudio     = "NoOpusAudioInOffer"
	CodeSessionNotFound = "WhipSessionNotFound"
	maxOfferBytes       = 64 << 10
	joinTimeout         = 10 * time.Second
)

// handleWHIPPost creates a participant session (RFC 9725 §4.2): the body is
// an SDP offer, the answer comes back with 201 and the session's Location.
func (s *Server) handleWHIPPost(w http.ResponseWriter, r *http.Request) {
	callID := r.PathValue("id")
	claims, offer, err := s.checkWHIPRequest(w, r, callID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name, err := displayName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess := newSession(s, callID, claims.RawID)
	sess.name = name
	answer, err := s.join(r.Context(), sess, offer)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess.log.Info("joined")
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/whip/"+sess.id)
	w.Header().Set("Access-Control-Expose-Headers", "Location")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// join negotiates sess's media, attaches its participant to the call media
// core (which records the join, and first disconnects the participant's
// previous session if it has one) and starts it. On error nothing is left
// of sess.
func (s *Server) join(ctx context.Context, sess *session, offer string) (answer string, err error) {
	answer, err = s.negotiate(sess, offer)
	if err == nil {
		err = sess.newPipeline()
	}
	if err == nil {
		err = s.admit(sess)
	}
	if err != nil {
		sess.abandon()
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	part, err := s.cfg.Hub.Attach(sess.callID, sess.rawID, sess, func() error {
		return s.cfg.Calls.JoinParticipant(ctx, sess.callID, sess.rawID)
	})
	if err != nil {
		s.forget(sess)
		sess.abandon()
		return "", err
	}
	sess.start(part)
	s.metrics.setParticipants(sess.callID, len(s.cfg.Hub.Participants(sess.callID)))
	s.metrics.sessionCreated()
	return answer, nil
}

// checkWHIPRequest validates everything a client can get wrong, cheapest
// first: media type, token, call, body size, SDP.
func (s *Server) checkWHIPRequest(w http.ResponseWriter, r *http.Request, callID string) (jointoken.Claims, string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/sdp" {
		return jointoken.Claims{}, "", callrec.Errorf(callrec.KindUnsupported, callrec.CodeUnsupportedMedia,
			"a WHIP offer must be sent as Content-Type: application/sdp")
	}
	token, ok := bearerToken(r)
	if !ok {
		return jointoken.Claims{}, "", callrec.Errorf(callrec.KindUnauthorized, jointoken.CodeMissingToken,
			"send the join token as Authorization: Bearer <token>")
	}
	claims, err := jointoken.Verify(s.cfg.AccessKey, token, callID, time.Now())
	if err != nil {
		return jointoken.Claims{}, "", err
	}
	call, err := s.cfg.Calls.Call(r.Context(), callID)
	if err != nil {
		return jointoken.Claims{}, "", err
	}
	if call.State == callrec.CallEnded {
		return jointoken.Claims{}, "", callrec.Errorf(callrec.KindNotFound, callrec.CodeCallEnded, "call %q has ended", callID)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return jointoken.Claims{}, "", callrec.Errorf(callrec.KindTooLarge, callrec.CodeBodyTooLarge,
				"the SDP offer is larger than %d bytes", maxOfferBytes)
		}
		return jointoken.Claims{}, "", callrec.Errorf(callrec.KindInvalid, CodeInvalidSDP, "could not read the SDP offer")
	}
	offer := string(body)
	if err := checkOffer(offer); err != nil {
		return jointoken.Claims{}, "", err
	}
	return claims, offer, nil
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// checkOffer parses the offer and requires an audio section that sends Opus.
func checkOffer(offer string) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return callrec.Errorf(callrec.KindInvalid, CodeInvalidSDP, "the body is not a valid SDP offer: %v", err)
	}
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		if _, recvOnly := m.Attribute("recvonly"); recvOnly {
			continue
		}
		if _, inactive := m.Attribute("inactive"); inactive {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToLower(a.Value), "opus/48000") {
				return nil
			}
		}
	}
	return callrec.Errorf(callrec.KindInvalid, CodeNoOpusAudio, "the SDP offer has no audio section sending Opus")
}

// negotiate answers offer on the media endpoint and attaches the new peer
// to sess. The answer carries every candidate (no trickle).
func (s *Server) negotiate(sess *session, offer string) (string, error) {
	peer, answer, err := s.media.Accept(offer)
	switch {
	case errors.Is(err, rtcrecv.ErrInvalidOffer):
		return "", &callrec.Error{Kind: callrec.KindInvalid, Code: CodeInvalidSDP,
			Message: "the SDP offer could not be negotiated: " + err.Error(), Err: err}
	case errors.Is(err, rtcrecv.ErrClosed):
		return "", callrec.Errorf(callrec.KindUnavailable, "ServerShuttingDown", "the server is shutting down")
	case err != nil:
		return "", callrec.Internal(err, "could not answer the offer")
	}
	sess.peer = peer
	return answer, nil
}

// handleWHIPDelete ends a session (RFC 9725 §4.3). The session URL is an
// unguessable capability, so no token is needed.
func (s *Server) handleWHIPDelete(w http.ResponseWriter, r *http.Request) {
	sess := s.sessionByID(r.PathValue("session"))
	if sess == nil {
		s.writeError(w, r, callrec.Errorf(callrec.KindNotFound, CodeSessionNotFound, "no such WHIP session"))
		return
	}
	sess.setReason(reasonLeft)
	if err := sess.closeContext(r.Context()); err != nil {
		s.writeError(w, r, callrec.Internal(err, "the session did not close in time"))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// sessionPollWait is the longest GET /whip/{session} waits for the
// session to end before it answers that it goes on.
const sessionPollWait = 20 * time.Second

// SessionState is the answer of GET /whip/{session} (a callrec extension of
// WHIP): "connected", or "ended" with the reason (CallEnded when the call
// ended, ReplacedByRejoin, Left, RemoteClosed, ConnectionLost,
// ServerShuttingDown).
type SessionState struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// handleWHIPGet tells a publisher how its session stands, waiting up to
// sessionPollWait for it to end (a long poll), so that a participant whom
// the server hangs up (the call ended) learns it at once and why: WebRTC
// carries no such signal to a publisher. The session URL is the
// capability, as for DELETE.
func (s *Server) handleWHIPGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("session")
	state := SessionState{State: "ended"}
	if sess := s.sessionByID(id); sess != nil {
		timer := time.NewTimer(sessionPollWait)
		defer timer.Stop()
		select {
		case <-sess.done:
			state.Reason = sess.endReason()
		case <-timer.C:
			state.State = "connected"
		case <-r.Context().Done():
			return
		}
	} else if reason, ok := s.endedSession(id); ok {
		state.Reason = reason
	} else {
		s.writeError(w, r, callrec.Errorf(callrec.KindNotFound, CodeSessionNotFound, "no such WHIP session"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(state)
}

// handleWHIPPatch: trickle ICE and ICE restarts are not supported
// (RFC 9725 §4.4 allows 405).
func (s *Server) handleWHIPPatch(w http.ResponseWriter, r *http.Request) {
	if s.sessionByID(r.PathValue("session")) == nil {
		s.writeError(w, r, callrec.Errorf(callrec.KindNotFound, CodeSessionNotFound, "no such WHIP session"))
		return
	}
	w.Header().Set("Allow", "DELETE")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusMethodNotAllowed)
	_, _ = io.WriteString(w, `{"error":{"code":"MethodNotAllowed","message":"trickle ICE and ICE restart are not supported; end the session with DELETE"}}`+"\n")
}

func (s *Server) handleWHIPOptions(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Accept-Post", "application/sdp")
	w.Header().Set("Allow", "POST, OPTIONS")
	w.WriteHeader(http.StatusNoContent)
}
