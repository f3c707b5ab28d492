package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// CallConnections is the Call Automation call control that the
// /calling/callConnections routes serve (implemented by service.Service).
type CallConnections interface {
	AnswerCall(ctx context.Context, a callrec.AnswerCall) (*callrec.CallConnection, error)
	RejectCall(ctx context.Context, incomingCallContext, reason string) error
	RedirectCall(ctx context.Context, incomingCallContext, target string) error
	CreateCallConnection(ctx context.Context, c callrec.CreateCall) (*callrec.CallConnection, error)
	CallConnection(ctx context.Context, id string) (*callrec.CallConnection, error)
	HangUp(ctx context.Context, id string, forEveryone bool) error
	Participants(ctx context.Context, id string) ([]callrec.CallParticipant, error)
	Participant(ctx context.Context, id, rawID string) (*callrec.CallParticipant, error)
	AddParticipant(ctx context.Context, id string, c callrec.CreateCall, operationCallbackURI string) (invitationID string, err error)
	RemoveParticipant(ctx context.Context, id, rawID, operationContext, callbackURI string) error
	MuteParticipant(ctx context.Context, id, rawID string) error
}

// unsupportedActions are ACS call-connection actions callrec does not
// perform: they answer 501 NotImplemented, never a silent success.
var unsupportedActions = map[string]bool{
	"transferToParticipant": true, "play": true, "playAll": true, "startRecognizing": true,
	"cancelAllMediaOperations": true, "startContinuousDtmfRecognition": true, "stopContinuousDtmfRecognition": true,
	"sendDtmfTones": true, "startTranscription": true, "stopTranscription": true, "updateTranscription": true,
	"hold": true, "unhold": true, "startMediaStreaming": true, "stopMediaStreaming": true, "interruptAudioAndAnnounce": true,
	"summarizeCall": true,
}

func notImplemented(what string) error {
	return callrec.Errorf(callrec.KindNotImplemented, callrec.CodeNotImplemented, "callrec does not implement %s", what)
}

// routeCallConnections serves /calling/callConnections[:action] and
// /calling/callConnections/{id}[:action][/participants[/{rawId}|:action]].
// segs starts at the callConnections segment.
func (s *Server) routeCallConnections(w http.ResponseWriter, r *http.Request, segs []string, body []byte) error {
	if s.cfg.CallConnections == nil {
		return routeNotFound(r)
	}
	head, action, _ := strings.Cut(segs[0], ":")
	if head != "callConnections" {
		return routeNotFound(r)
	}
	if len(segs) == 1 {
		return s.callConnectionsAction(w, r, action, body)
	}
	seg, idAction := segs[1], ""
	if i := strings.LastIndexByte(seg, ':'); i >= 0 {
		seg, idAction = seg[:i], seg[i+1:]
	}
	id, err := unescapeID(seg)
	if err != nil {
		return err
	}
	if action != "" {
		return routeNotFound(r)
	}
	if len(segs) == 2 {
		return s.callConnection(w, r, id, idAction)
	}
	if idAction != "" {
		return routeNotFound(r)
	}
	part, partAction := segs[2], ""
	if i := strings.LastIndexByte(part, ':'); i >= 0 {
		part, partAction = part[:i], part[i+1:]
	}
	if part != "participants" || len(segs) > 4 {
		return routeNotFound(r)
	}
	if len(segs) == 4 {
		if partAction != "" {
			return routeNotFound(r)
		}
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, r, http.MethodGet)
		}
		rawID, err := unescapeID(segs[3])
		if err != nil {
			return err
		}
		p, err := s.cfg.CallConnections.Participant(r.Context(), id, rawID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, participantWire(*p))
		return nil
	}
	return s.participants(w, r, id, partAction, body)
}

// callConnectionsAction serves POST /calling/callConnections (create) and
// its :answer, :reject, :redirect actions.
func (s *Server) callConnectionsAction(w http.ResponseWriter, r *http.Request, action string, body []byte) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(w, r, http.MethodPost)
	}
	ctx, cc := r.Context(), s.cfg.CallConnections
	switch action {
	case "":
		var req acswire.CreateCallRequest
		if err := decodeJSON(r, body, &req); err != nil {
			return err
		}
		c, err := createCallOf(req)
		if err != nil {
			return err
		}
		c.RepeatabilityID = r.Header.Get("Repeatability-Request-ID")
		conn, err := cc.CreateCallConnection(ctx, c)
		if err != nil {
			return err
		}
		repeatable(w, r)
		writeJSON(w, http.StatusCreated, propertiesWire(conn))
		return nil
	case "answer":
		var req acswire.AnswerCallRequest
		if err := decodeJSON(r, body, &req); err != nil {
			return err
		}
		conn, err := cc.AnswerCall(ctx, callrec.AnswerCall{IncomingCallContext: req.IncomingCallContext,
			CallbackURI: req.CallbackURI, OperationContext: req.OperationContext,
			RepeatabilityID: r.Header.Get("Repeatability-Request-ID")})
		if err != nil {
			return err
		}
		repeatable(w, r)
		writeJSON(w, http.StatusOK, propertiesWire(conn))
		return nil
	case "reject":
		var req acswire.RejectCallRequest
		if err := decodeJSON(r, body, &req); err != nil {
			return err
		}
		if err := cc.RejectCall(ctx, req.IncomingCallContext, req.CallRejectReason); err != nil {
			return err
		}
		repeatable(w, r)
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "redirect":
		var req acswire.RedirectCallRequest
		if err := decodeJSON(r, body, &req); err != nil {
			return err
		}
		if req.Target == nil {
			return callrec.FieldErrorf("target", callrec.CodeInvalidRequest, "target is required")
		}
		target, err := rawID(req.Target, "target")
		if err != nil {
			return err
		}
		if err := cc.RedirectCall(ctx, req.IncomingCallContext, target); err != nil {
			return err
		}
		repeatable(w, r)
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "connect":
		return notImplemented("connect (callrec hosts its calls itself: answer or create them)")
	}
	return routeNotFound(r)
}

// callConnection serves GET and DELETE /calling/callConnections/{id} and
// its :terminate action.
func (s *Server) callConnection(w http.ResponseWriter, r *http.Request, id, action string) error {
	ctx, cc := r.Context(), s.cfg.CallConnections
	switch {
	case action == "" && r.Method == http.MethodGet:
		conn, err := cc.CallConnection(ctx, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, propertiesWire(conn))
		return nil
	case action == "" && r.Method == http.MethodDelete:
		if err := cc.HangUp(ctx, id, false); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case action == "":
		return methodNotAllowed(w, r, http.MethodGet, http.MethodDelete)
	case action == "terminate":
		if r.Method != http.MethodPost {
			return methodNotAllowed(w, r, http.MethodPost)
		}
		if err := cc.HangUp(ctx, id, true); err != nil {
			return err
		}
		repeatable(w, r)
		w.WriteHeader(http.StatusNoContent)
		return nil
	case unsupportedActions[action]:
		return notImplemented(action)
	}
	return routeNotFound(r)
}

// participants serves /calling/callConnections/{id}/participants and its
// :add, :remove, :mute actions.
func (s *Server) participants(w http.ResponseWriter, r *http.Request, id, action string, body []byte) error {
	ctx, cc := r.Context(), s.cfg.CallConnections
	if action == "" {
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, r, http.MethodGet)
		}
		list, err := cc.Participants(ctx, id)
		if err != nil {
			return err
		}
		out := acswire.GetParticipantsResponse{Value: make([]acswire.CallParticipant, len(list))}
		for i, p := range list {
			out.Value[i] = participantWire(p)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	if r.Method != http.MethodPost {
		return methodNotAllowed(w, r, http.MethodPost)
	}
	switch action {
	case "add":
		var req acswire.AddParticipantRequest
		if err := decodeJSON(r, body, &req); err != nil {
			return err
		}
		if req.ParticipantToAdd == nil {
			return callrec.FieldErrorf("participantToAdd", callrec.CodeInvalidRequest, "participantToAdd is required")
		}
		target, err := rawID(req.ParticipantToAdd, "participantToAdd")
		if err != nil {
			return err
		}
		c := callrec.CreateCall{Target: target, OperationContext: req.OperationContext, SourceDisplayName: req.SourceDisplayName,
			RepeatabilityID: r.Header.Get("Repeatability-Request-ID")}
		if req.SourceCallerIDNumber != nil {
			c.SourceCallerID = req.SourceCallerIDNumber.Value
		}
		if req.CustomCallingContext != nil {
			c.SIPHeaders = req.CustomCallingContext.SIPHeaders
		}
		invitation, err := cc.AddParticipant(ctx, id, c, req.OperationCallbackURI)
		if err != nil {
			return err
		}
		p := participantWire(callrec.CallParticipant{RawID: target})
		repeatable(w, r)
		writeJSON(w, http.StatusAccepted, acswire.AddParticipantResponse{OperationContext: req.OperationContext,
			Participant: &p, InvitationID: invitation})
		return nil
	case "remove":
		var req acswire.RemoveParticipantRequest
		if err := decodeJSON(r, body, &req); err != nil {
			return err
		}
		if req.ParticipantToRemove == nil {
			return callrec.FieldErrorf("participantToRemove", callrec.CodeInvalidRequest, "participantToRemove is required")
		}
		target, err := rawID(req.ParticipantToRemove, "participantToRemove")
		if err != nil {
			return err
		}
		if err := cc.RemoveParticipant(ctx, id, target, req.OperationContext, req.OperationCallbackURI); err != nil {
			return err
		}
		repeatable(w, r)
		writeJSON(w, http.StatusAccepted, acswire.OperationContextResponse{OperationContext: req.OperationContext})
		return nil
	case "mute":
		var req acswire.MuteParticipantsRequest
		if err := decodeJSON(r, body, &req); err != nil {
			return err
		}
		if len(req.TargetParticipants) != 1 {
			return callrec.FieldErrorf("targetParticipants", callrec.CodeInvalidRequest,
				"targetParticipants must name exactly one participant, not %d", len(req.TargetParticipants))
		}
		target, err := rawID(&req.TargetParticipants[0], "targetParticipants[0]")
		if err != nil {
			return err
		}
		if err := cc.MuteParticipant(ctx, id, target); err != nil {
			return err
		}
		repeatable(w, r)
		writeJSON(w, http.StatusOK, acswire.OperationContextResponse{OperationContext: req.OperationContext})
		return nil
	case "cancelAddParticipant", "moveHere", "unmute":
		return notImplemented("participants:" + action)
	}
	return routeNotFound(r)
}

// repeatable marks the answer to a repeatable request as ACS does.
func repeatable(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Repeatability-Request-ID") != "" {
		w.Header().Set("Repeatability-Result", "accepted")
	}
}

func createCallOf(req acswire.CreateCallRequest) (callrec.CreateCall, error) {
	switch len(req.Targets) {
	case 0:
		return callrec.CreateCall{}, callrec.FieldErrorf("targets", callrec.CodeInvalidRequest, "targets must name one callee")
	case 1:
	default:
		return callrec.CreateCall{}, notImplemented("group calls (createCall with several targets): create the call with one, then addParticipant")
	}
	target, err := rawID(&req.Targets[0], "targets[0]")
	if err != nil {
		return callrec.CreateCall{}, err
	}
	c := callrec.CreateCall{Target: target, CallbackURI: req.CallbackURI, OperationContext: req.OperationContext,
		SourceDisplayName: req.SourceDisplayName}
	if req.SourceCallerIDNumber != nil {
		c.SourceCallerID = req.SourceCallerIDNumber.Value
	}
	if req.CustomCallingContext != nil {
		c.SIPHeaders = req.CustomCallingContext.SIPHeaders
	}
	return c, nil
}

func participantWire(p callrec.CallParticipant) acswire.CallParticipant {
	return acswire.CallParticipant{Identifier: acswire.Identifier(p.RawID), IsMuted: p.IsMuted, IsOnHold: p.IsOnHold}
}

// propertiesWire is a connection's CallConnectionProperties.
func propertiesWire(c *callrec.CallConnection) acswire.CallConnectionProperties {
	out := acswire.CallConnectionProperties{CallConnectionID: c.ID, ServerCallID: c.ServerCallID,
		Targets: make([]acswire.CommunicationIdentifier, len(c.Targets)), CallConnectionState: string(c.State),
		CallbackURI: c.CallbackURI, SourceDisplayName: c.SourceDisplayName, CorrelationID: c.CorrelationID}
	for i, t := range c.Targets {
		out.Targets[i] = acswire.Identifier(t)
	}
	if c.Source != "" {
		src := acswire.Identifier(c.Source)
		out.Source = &src
		if !c.Inbound && src.PhoneNumber != nil {
			out.SourceCallerIDNumber = src.PhoneNumber
		}
	}
	if n, ok := strings.CutPrefix(c.AnsweredFor, "4:"); ok {
		out.AnsweredFor = &acswire.PhoneNumber{Value: n}
	}
	return out
}
