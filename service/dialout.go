package service

import (
	"context"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// Outbound legs (createCall, addParticipant) wait this long for an answer
// unless the request says otherwise.
const defaultDialTimeout = 60 * time.Second

// checkDialTarget accepts what callrec can dial: a phone number (with a
// caller id to present) or a SIP URI.
func (s *Service) checkDialTarget(field string, c callrec.CreateCall) error {
	switch {
	case strings.HasPrefix(c.Target, "4:+"):
		if _, ok := strings.CutPrefix(c.SourceCallerID, "+"); !ok {
			return callrec.FieldErrorf("sourceCallerIdNumber", CodeSourceCallerIDNumberRequired,
				"calling a phone number needs sourceCallerIdNumber, an E.164 number (+…)")
		}
	case strings.HasPrefix(c.Target, "sip:"), strings.HasPrefix(c.Target, "sips:"):
	default:
		return callrec.FieldErrorf(field, CodeUnsupportedTarget,
			"callrec dials a phone number (4:+E164) or a SIP URI (sip:user@host), not %q", c.Target)
	}
	if s.cfg.Dialer == nil {
		return callrec.Errorf(callrec.KindNotImplemented, CodeOutboundCallsNotConfigured,
			"this server places no outbound calls (it needs its SIP endpoint, --sip-addr)")
	}
	return nil
}

// CreateCallConnection places an outbound call (createCall): a new call
// with the callee dialled into it. The connection returned is connecting;
// CallConnected or CreateCallFailed follows at the callback URI.
func (s *Service) CreateCallConnection(ctx context.Context, c callrec.CreateCall) (*callrec.CallConnection, error) {
	store, err := s.connStore()
	if err != nil {
		return nil, err
	}
	if c.RepeatabilityID != "" {
		if id := s.conns.repeat(c.RepeatabilityID); id != "" {
			return store.CallConnection(ctx, id)
		}
	}
	if err := checkCallbackURI(c.CallbackURI); err != nil {
		return nil, err
	}
	if err := s.checkDialTarget("targets[0]", c); err != nil {
		return nil, err
	}
	call, err := s.CreateCall(ctx, "")
	if err != nil {
		return nil, err
	}
	conn := &callrec.CallConnection{ID: newUUID(), ServerCallID: call.ServerCallID, CorrelationID: newUUID(),
		State: callrec.ConnectionConnecting, CallbackURI: c.CallbackURI, OperationContext: c.OperationContext,
		Targets: []string{c.Target}, SourceDisplayName: c.SourceDisplayName, CreatedAt: s.now()}
	if c.SourceCallerID != "" {
		conn.Source = "4:" + c.SourceCallerID
	}
	if err := store.PutCallConnection(ctx, conn); err != nil {
		return nil, err
	}
	s.conns.remember(c.RepeatabilityID, conn.ID)
	err = s.cfg.Dialer.Dial(ctx, callrec.Dial{ServerCallID: call.ServerCallID, Target: c.Target, SourceCallerID: c.SourceCallerID,
		SourceDisplayName: c.SourceDisplayName, SIPHeaders: c.SIPHeaders, Timeout: defaultDialTimeout,
		Result: func(err error) { s.connected(conn.ID, err) }})
	if err != nil {
		s.connected(conn.ID, err)
		return nil, err
	}
	return conn, nil
}

// AddParticipant dials a callee into a connection's call;
// AddParticipantSucceeded or AddParticipantFailed follows at callbackURI
// (the connection's when empty).
func (s *Service) AddParticipant(ctx context.Context, id string, c callrec.CreateCall, callbackURI string) (string, error) {
	conn, err := s.liveConnection(ctx, id)
	if err != nil {
		return "", err
	}
	if err := s.checkDialTarget("participantToAdd", c); err != nil {
		return "", err
	}
	invitation := newUUID()
	target := acswire.Identifier(c.Target)
	result := func(err error) {
		ctx, cancel := context.WithTimeout(context.Background(), expireTimeout)
		defer cancel()
		typ, info := EventAddParticipantSucceeded, &acswire.ResultInformation{Code: 200, SubCode: 0, Message: ""}
		if err != nil {
			typ, info = EventAddParticipantFailed, failureInfo(err)
		}
		ev := s.callEvent(conn, typ, acswire.CallEventData{OperationContext: c.OperationContext, Participant: &target,
			InvitationID: invitation, ResultInformation: info})
		if callbackURI != "" {
			ev.Targets = []callrec.Target{{URL: callbackURI, Schema: callrec.SchemaCloudEventsArray}}
		}
		if err := s.cfg.Connections.AddEvents(ctx, ev); err != nil {
			s.log.Warn("storing the outcome of addParticipant", "callConnectionId", id, "err", err)
		}
		s.cfg.Notify()
	}
	if err := s.cfg.Dialer.Dial(ctx, callrec.Dial{ServerCallID: conn.ServerCallID, Target: c.Target, SourceCallerID: c.SourceCallerID,
		SourceDisplayName: c.SourceDisplayName, SIPHeaders: c.SIPHeaders, Timeout: defaultDialTimeout, Result: result}); err != nil {
		return "", err
	}
	return invitation, nil
}
