package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// Call Automation callback event types (CloudEvents to a connection's
// callbackUri).
const (
	EventCallConnected               = "Microsoft.Communication.CallConnected"
	EventCallDisconnected            = "Microsoft.Communication.CallDisconnected"
	EventParticipantsUpdated         = "Microsoft.Communication.ParticipantsUpdated"
	EventAnswerFailed                = "Microsoft.Communication.AnswerFailed"
	EventCreateCallFailed            = "Microsoft.Communication.CreateCallFailed"
	EventAddParticipantSucceeded     = "Microsoft.Communication.AddParticipantSucceeded"
	EventAddParticipantFailed        = "Microsoft.Communication.AddParticipantFailed"
	EventRemoveParticipantSucceeded  = "Microsoft.Communication.RemoveParticipantSucceeded"
	callEventVersion                 = "2025-06-15"
	callConnectionsPath              = "calling/callConnections/"
	subCodeEndedByApplication        = 7000 // this connection hung up or terminated the call
	subCodeConversationEnded         = 5001 // another connection (or callrec) ended the call
	messageEndedByApplication        = "Call was ended by Call Automation API or a server bot."
	messageConversationEnded         = "This conversation has ended."
	CodeParticipantNotFound          = "ParticipantNotFound"
	CodeInvalidCallbackURI           = "InvalidCallbackUri"
	CodeInvalidRejectReason          = "InvalidCallRejectReason"
	CodeUnsupportedTarget            = "UnsupportedTarget"
	CodeCallConnectionDisconnected   = "CallConnectionDisconnected"
	CodeOutboundCallsNotConfigured   = "OutboundCallsNotConfigured"
	CodeSourceCallerIDNumberRequired = "SourceCallerIdNumberRequired"
)

// ParticipantControl is what call connections need of the call media core
// beyond hanging up a whole call: one participant's leg (callmedia.Hub).
type ParticipantControl interface {
	Disconnect(ctx context.Context, callID, rawID string) error
	Mute(callID, rawID string) error
	Muted(callID, rawID string) bool
}

// Dialer places outbound legs (the SIP endpoint). Dial returns once the
// dial is under way; its outcome comes through d.Result.
type Dialer interface {
	Dial(ctx context.Context, d callrec.Dial) error
}

// connections is the in-memory side of call connections: answers already
// given by Repeatability-Request-ID, and each call's roster sequence.
type connections struct {
	mu       sync.Mutex
	repeated map[string]string // repeatability id → callConnectionId
	sequence map[string]int    // serverCallId → last ParticipantsUpdated sequenceNumber
}

func (c *connections) repeat(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.repeated[id]
}

func (c *connections) remember(id, connID string) {
	if id == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.repeated == nil {
		c.repeated = map[string]string{}
	}
	c.repeated[id] = connID
}

func (c *connections) next(callID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sequence == nil {
		c.sequence = map[string]int{}
	}
	c.sequence[callID]++
	return c.sequence[callID]
}

func (s *Service) connStore() (callrec.CallConnectionStore, error) {
	if s.cfg.Connections == nil {
		return nil, callrec.Errorf(callrec.KindUnavailable, callrec.CodeServiceUnavailable, "call automation is not configured")
	}
	return s.cfg.Connections, nil
}

func checkCallbackURI(u string) error {
	p, err := url.Parse(u)
	if u == "" || err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return callrec.FieldErrorf("callbackUri", CodeInvalidCallbackURI, "callbackUri %q is not an absolute http(s) URL", u)
	}
	return nil
}

// AnswerCall answers a ringing call: the call (its serverCallId as the
// IncomingCall event said) is created, the caller joins it, and once the
// caller acknowledged, CallConnected goes to the callback URI. The
// connection returned is connecting.
func (s *Service) AnswerCall(ctx context.Context, a callrec.AnswerCall) (*callrec.CallConnection, error) {
	store, err := s.connStore()
	if err != nil {
		return nil, err
	}
	if a.RepeatabilityID != "" {
		if id := s.conns.repeat(a.RepeatabilityID); id != "" {
			return store.CallConnection(ctx, id)
		}
	}
	if err := checkCallbackURI(a.CallbackURI); err != nil {
		return nil, err
	}
	r, err := s.take(a.IncomingCallContext)
	if err != nil {
		return nil, err
	}
	conn := &callrec.CallConnection{ID: newUUID(), ServerCallID: r.serverCallID, CorrelationID: r.correlationID,
		State: callrec.ConnectionConnecting, CallbackURI: a.CallbackURI, OperationContext: a.OperationContext,
		Inbound: true, Source: r.inv.From, Targets: []string{r.inv.To}, CreatedAt: s.now()}
	if strings.HasPrefix(r.inv.To, "4:") {
		conn.AnsweredFor = r.inv.To
	}
	decision := callrec.InviteDecision{Action: callrec.InviteAnswer, ServerCallID: r.serverCallID,
		Connected: func(err error) { s.connected(conn.ID, err) }}
	if _, err := s.CreateCall(ctx, r.serverCallID); err != nil {
		r.decided <- callrec.InviteDecision{Action: callrec.InviteReject, Status: 500, Reason: "Server Internal Error"}
		return nil, err
	}
	if err := store.PutCallConnection(ctx, conn); err != nil {
		r.decided <- callrec.InviteDecision{Action: callrec.InviteReject, Status: 500, Reason: "Server Internal Error"}
		return nil, err
	}
	s.conns.remember(a.RepeatabilityID, conn.ID)
	r.decided <- decision
	s.log.InfoContext(ctx, "incoming call answered", "serverCallId", conn.ServerCallID, "callConnectionId", conn.ID)
	return conn, nil
}

// RejectCall rejects a ringing call: reason none (or empty) is 603
// Decline, busy 486 Busy Here, forbidden 403 Forbidden. No event follows.
func (s *Service) RejectCall(ctx context.Context, incomingCallContext, reason string) error {
	d := callrec.InviteDecision{Action: callrec.InviteReject}
	switch strings.ToLower(reason) {
	case "", "none":
		d.Status, d.Reason = 603, "Decline"
	case "busy":
		d.Status, d.Reason = 486, "Busy Here"
	case "forbidden":
		d.Status, d.Reason = 403, "Forbidden"
	default:
		return callrec.FieldErrorf("callRejectReason", CodeInvalidRejectReason, "callRejectReason %q is not none, busy or forbidden", reason)
	}
	r, err := s.take(incomingCallContext)
	if err != nil {
		return err
	}
	r.decided <- d
	s.log.InfoContext(ctx, "incoming call rejected", "serverCallId", r.serverCallID, "status", d.Status)
	return nil
}

// RedirectCall sends a ringing call elsewhere (SIP 302): target is a
// phone number ("4:+E164", through the trunk) or a SIP URI. No event
// follows.
func (s *Service) RedirectCall(ctx context.Context, incomingCallContext, target string) error {
	if !strings.HasPrefix(target, "4:+") && !strings.HasPrefix(target, "sip:") && !strings.HasPrefix(target, "sips:") {
		return callrec.FieldErrorf("target", CodeUnsupportedTarget,
			"callrec redirects to a phone number (4:+E164) or a SIP URI (sip:user@host), not %q", target)
	}
	r, err := s.take(incomingCallContext)
	if err != nil {
		return err
	}
	r.decided <- callrec.InviteDecision{Action: callrec.InviteRedirect, Target: target}
	s.log.InfoContext(ctx, "incoming call redirected", "serverCallId", r.serverCallID, "target", target)
	return nil
}

// connected is the transport's outcome of an answer or a dial.
func (s *Service) connected(connID string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), expireTimeout)
	defer cancel()
	conn, gerr := s.cfg.Connections.CallConnection(ctx, connID)
	if gerr != nil {
		s.log.Warn("call connection vanished", "callConnectionId", connID, "err", gerr)
		return
	}
	if conn.State != callrec.ConnectionConnecting {
		return
	}
	if err != nil {
		typ := EventAnswerFailed
		if !conn.Inbound {
			typ = EventCreateCallFailed
		}
		now := s.now()
		conn.State, conn.EndedAt = callrec.ConnectionDisconnected, &now
		info := failureInfo(err)
		if perr := s.cfg.Connections.PutCallConnection(ctx, conn, s.callEvent(conn, typ, acswire.CallEventData{
			OperationContext: conn.OperationContext, ResultInformation: info})); perr != nil {
			s.log.Warn("storing a failed call connection", "callConnectionId", connID, "err", perr)
		}
		s.cfg.Notify()
		s.log.Info("call connection failed", "callConnectionId", connID, "serverCallId", conn.ServerCallID, "err", err)
		if eerr := s.EndCall(ctx, conn.ServerCallID); eerr != nil && callrec.KindOf(eerr) != callrec.KindNotFound {
			s.log.Warn("ending the call of a failed connection", "serverCallId", conn.ServerCallID, "err", eerr)
		}
		return
	}
	conn.State = callrec.ConnectionConnected
	events := []callrec.Outgoing{s.callEvent(conn, EventCallConnected, acswire.CallEventData{
		OperationContext: conn.OperationContext, ResultInformation: &acswire.ResultInformation{Code: 200, SubCode: 0, Message: ""}})}
	if roster, rerr := s.roster(ctx, conn.ServerCallID); rerr == nil {
		events = append(events, s.participantsUpdated(conn, roster, s.conns.next(conn.ServerCallID)))
	}
	if err := s.cfg.Connections.PutCallConnection(ctx, conn, events...); err != nil {
		s.log.Warn("storing a connected call connection", "callConnectionId", connID, "err", err)
		return
	}
	s.cfg.Notify()
	s.log.Info("call connected", "callConnectionId", connID, "serverCallId", conn.ServerCallID)
}

// failureInfo maps a transport's failure onto resultInformation: the SIP
// status as code, ACS's subCode for it.
func failureInfo(err error) *acswire.ResultInformation {
	var de *callrec.DialError
	if errors.As(err, &de) {
		sub := map[int]int{486: 8539, 600: 8540, 603: 8538, 480: 8541, 408: 8544, 487: 8542, 404: 8544}[de.Status]
		if sub == 0 {
			sub = 9999
		}
		return &acswire.ResultInformation{Code: de.Status, SubCode: sub, Message: de.Reason}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &acswire.ResultInformation{Code: 487, SubCode: 8542, Message: "The caller cancelled the call."}
	}
	return &acswire.ResultInformation{Code: 500, SubCode: 9999, Message: err.Error()}
}

// CallConnection returns a call connection.
func (s *Service) CallConnection(ctx context.Context, id string) (*callrec.CallConnection, error) {
	store, err := s.connStore()
	if err != nil {
		return nil, err
	}
	return store.CallConnection(ctx, id)
}

// liveConnection returns a connection that has not been disconnected.
func (s *Service) liveConnection(ctx context.Context, id string) (*callrec.CallConnection, error) {
	conn, err := s.CallConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	if conn.State == callrec.ConnectionDisconnected {
		return nil, callrec.Errorf(callrec.KindNotFound, CodeCallConnectionDisconnected, "call connection %q has been disconnected", id)
	}
	return conn, nil
}

// HangUp ends a call connection. forEveryone ends the call: every
// participant is disconnected and its recordings stop (CallEnded).
// Otherwise the connection leaves; a call with at most one participant
// and no other connection ends with it (a 1:1 call), a larger one goes on.
func (s *Service) HangUp(ctx context.Context, id string, forEveryone bool) error {
	conn, err := s.liveConnection(ctx, id)
	if err != nil {
		return err
	}
	if err := s.disconnect(ctx, conn, subCodeEndedByApplication); err != nil {
		return err
	}
	end := forEveryone
	if !end {
		others, err := s.liveConnectionsOf(ctx, conn.ServerCallID)
		if err != nil {
			return err
		}
		roster, err := s.roster(ctx, conn.ServerCallID)
		if err != nil {
			return err
		}
		end = len(others) == 0 && len(roster) <= 1
	}
	s.log.InfoContext(ctx, "call connection hung up", "callConnectionId", id, "serverCallId", conn.ServerCallID,
		"forEveryone", forEveryone, "callEnds", end)
	if end {
		if err := s.EndCall(ctx, conn.ServerCallID); err != nil && callrec.KindOf(err) != callrec.KindNotFound {
			return err
		}
	}
	return nil
}

// disconnect marks conn disconnected with its CallDisconnected event.
func (s *Service) disconnect(ctx context.Context, conn *callrec.CallConnection, subCode int) error {
	msg := messageEndedByApplication
	if subCode != subCodeEndedByApplication {
		msg = messageConversationEnded
	}
	now := s.now()
	conn.State, conn.EndedAt = callrec.ConnectionDisconnected, &now
	err := s.cfg.Connections.PutCallConnection(ctx, conn, s.callEvent(conn, EventCallDisconnected, acswire.CallEventData{
		OperationContext: conn.OperationContext, ResultInformation: &acswire.ResultInformation{Code: 200, SubCode: subCode, Message: msg}}))
	if err != nil {
		return err
	}
	s.cfg.Notify()
	return nil
}

// liveConnectionsOf returns a call's connections that are not
// disconnected.
func (s *Service) liveConnectionsOf(ctx context.Context, callID string) ([]*callrec.CallConnection, error) {
	if s.cfg.Connections == nil {
		return nil, nil
	}
	all, err := s.cfg.Connections.CallConnectionsOfCall(ctx, callID)
	if err != nil {
		return nil, err
	}
	var out []*callrec.CallConnection
	for _, c := range all {
		if c.State != callrec.ConnectionDisconnected {
			out = append(out, c)
		}
	}
	return out, nil
}

// callEnded disconnects a call's connections that are still live when the
// call ends (by another connection, by hand, or idle): CallDisconnected
// with subCode 5001.
func (s *Service) callEnded(ctx context.Context, callID string) {
	live, err := s.liveConnectionsOf(ctx, callID)
	if err != nil {
		s.log.WarnContext(ctx, "reading the connections of an ended call", "serverCallId", callID, "err", err)
		return
	}
	for _, c := range live {
		if err := s.disconnect(ctx, c, subCodeConversationEnded); err != nil {
			s.log.WarnContext(ctx, "disconnecting a call connection", "callConnectionId", c.ID, "err", err)
		}
	}
}

// rosterChanged sends ParticipantsUpdated to a call's connected
// connections; a call with connections whose last participant left ends
// (the other party of a 1:1 call hung up).
func (s *Service) rosterChanged(ctx context.Context, callID string) {
	live, err := s.liveConnectionsOf(ctx, callID)
	if err != nil || len(live) == 0 {
		return
	}
	roster, err := s.roster(ctx, callID)
	if err != nil {
		return
	}
	if len(roster) == 0 {
		if err := s.EndCall(ctx, callID); err != nil && callrec.KindOf(err) != callrec.KindNotFound {
			s.log.WarnContext(ctx, "ending a call its participants left", "serverCallId", callID, "err", err)
		}
		return
	}
	seq := s.conns.next(callID)
	for _, c := range live {
		if c.State != callrec.ConnectionConnected {
			continue
		}
		if err := s.cfg.Connections.AddEvents(ctx, s.participantsUpdated(c, roster, seq)); err != nil {
			s.log.WarnContext(ctx, "storing ParticipantsUpdated", "callConnectionId", c.ID, "err", err)
		}
	}
	s.cfg.Notify()
}

// roster returns the participants present in a call.
func (s *Service) roster(ctx context.Context, callID string) ([]callrec.CallParticipant, error) {
	c, err := s.cfg.Store.Call(ctx, callID)
	if err != nil {
		return nil, err
	}
	out := []callrec.CallParticipant{}
	for _, p := range c.Participants {
		if p.LeftAt == nil {
			out = append(out, callrec.CallParticipant{RawID: p.RawID, IsMuted: s.muted(callID, p.RawID)})
		}
	}
	return out, nil
}

func (s *Service) muted(callID, rawID string) bool {
	return s.cfg.Control != nil && s.cfg.Control.Muted(callID, rawID)
}

// Participants returns the participants of a connection's call.
func (s *Service) Participants(ctx context.Context, id string) ([]callrec.CallParticipant, error) {
	conn, err := s.liveConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.roster(ctx, conn.ServerCallID)
}

// Participant returns one participant of a connection's call.
func (s *Service) Participant(ctx context.Context, id, rawID string) (*callrec.CallParticipant, error) {
	roster, err := s.Participants(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, p := range roster {
		if p.RawID == rawID {
			return &p, nil
		}
	}
	return nil, callrec.Errorf(callrec.KindNotFound, CodeParticipantNotFound, "participant %q is not in the call", rawID)
}

// participantOf returns the live connection id whose call rawID is in,
// for an action on that participant.
func (s *Service) participantOf(ctx context.Context, id, rawID string) (*callrec.CallConnection, error) {
	conn, err := s.liveConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Participant(ctx, id, rawID); err != nil {
		return nil, err
	}
	if s.cfg.Control == nil {
		return nil, callrec.Errorf(callrec.KindUnavailable, callrec.CodeServiceUnavailable, "no call media core to act on participants")
	}
	return conn, nil
}

// RemoveParticipant disconnects a participant (a phone gets a BYE):
// RemoveParticipantSucceeded goes to callbackURI (the connection's when
// empty), ParticipantsUpdated follows.
func (s *Service) RemoveParticipant(ctx context.Context, id, rawID, operationContext, callbackURI string) error {
	conn, err := s.participantOf(ctx, id, rawID)
	if err != nil {
		return err
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
	defer cancel()
	if err := s.cfg.Control.Disconnect(hctx, conn.ServerCallID, rawID); err != nil {
		return err
	}
	target := acswire.Identifier(rawID)
	ev := s.callEvent(conn, EventRemoveParticipantSucceeded, acswire.CallEventData{OperationContext: operationContext,
		Participant: &target, ResultInformation: &acswire.ResultInformation{Code: 200, SubCode: 0, Message: ""}})
	if callbackURI != "" {
		ev.Targets = []callrec.Target{{URL: callbackURI, Schema: callrec.SchemaCloudEventsArray}}
	}
	if err := s.cfg.Connections.AddEvents(ctx, ev); err != nil {
		return err
	}
	s.cfg.Notify()
	return nil
}

// MuteParticipant mutes a participant for the rest of its leg: its audio
// is silence from now on, in the call and its recordings.
// ParticipantsUpdated (isMuted true) follows.
func (s *Service) MuteParticipant(ctx context.Context, id, rawID string) error {
	conn, err := s.participantOf(ctx, id, rawID)
	if err != nil {
		return err
	}
	if err := s.cfg.Control.Mute(conn.ServerCallID, rawID); err != nil {
		return err
	}
	s.rosterChanged(ctx, conn.ServerCallID)
	return nil
}

// callEvent builds a callback event of conn (a JSON array of one
// CloudEvent to its callback URI).
func (s *Service) callEvent(conn *callrec.CallConnection, typ string, d acswire.CallEventData) callrec.Outgoing {
	d.Version, d.CallConnectionID, d.ServerCallID, d.CorrelationID, d.PublicEventType =
		callEventVersion, conn.ID, conn.ServerCallID, conn.CorrelationID, typ
	data, _ := json.Marshal(d)
	return callrec.Outgoing{
		Event: callrec.Event{ID: newUUID(), Type: typ, Source: callConnectionsPath + conn.ID,
			Subject: callConnectionsPath + conn.ID, Time: s.now(), Data: data},
		Targets: []callrec.Target{{URL: conn.CallbackURI, Schema: callrec.SchemaCloudEventsArray}},
	}
}

func (s *Service) participantsUpdated(conn *callrec.CallConnection, roster []callrec.CallParticipant, seq int) callrec.Outgoing {
	parts := make([]acswire.CallParticipant, len(roster))
	for i, p := range roster {
		parts[i] = acswire.CallParticipant{Identifier: acswire.Identifier(p.RawID), IsMuted: p.IsMuted, IsOnHold: p.IsOnHold}
	}
	return s.callEvent(conn, EventParticipantsUpdated, acswire.CallEventData{Participants: parts, SequenceNumber: &seq,
		ResultInformation: &acswire.ResultInformation{Code: 200, SubCode: 0, Message: ""}})
}
