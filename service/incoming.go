package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// EventIncomingCall is ACS's Event Grid system event for a call that rings.
const EventIncomingCall = "Microsoft.Communication.IncomingCall"

// Error codes of answer, reject and redirect.
const (
	// CodeIncomingCallNotFound: the incomingCallContext names no call
	// that rings here now (it was answered, rejected or redirected
	// already, the caller gave up, or it rang out).
	CodeIncomingCallNotFound = "IncomingCallNotFound"
	// CodeIncomingCallExpired: the incomingCallContext names a call that
	// rang on a server run that is over (the node restarted or stopped,
	// or was lost): the caller was told the call is unavailable, or was
	// cut off with its node.
	CodeIncomingCallExpired = "IncomingCallExpired"
	// CodeInvalidIncomingCallContext: the incomingCallContext is not one
	// callrec minted.
	CodeInvalidIncomingCallContext = "InvalidIncomingCallContext"
)

// incomingContextPrefix starts every incomingCallContext callrec mints:
// "callrec.<node>.<run>.<secret>", node the base64url id of the node that
// holds the ringing call ("" on a single node), run the server run that
// minted it (Service.run, new at every start), secret 32 random bytes.
const incomingContextPrefix = "callrec."

// incomingContext is a parsed incomingCallContext.
type incomingContext struct{ node, run string }

// parseIncomingContext parses an incomingCallContext callrec minted; ok is
// false for one of another form.
func parseIncomingContext(icc string) (c incomingContext, ok bool) {
	parts := strings.Split(strings.TrimPrefix(icc, incomingContextPrefix), ".")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return incomingContext{}, false
	}
	node, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return incomingContext{}, false
	}
	return incomingContext{node: string(node), run: parts[1]}, true
}

// IncomingCallNode returns the node that holds the ringing call an
// incomingCallContext names (its NodeID, "" on a single node); ok is
// false when the context is not one callrec minted with a node.
func IncomingCallNode(incomingCallContext string) (node string, ok bool) {
	if !strings.HasPrefix(incomingCallContext, incomingContextPrefix) {
		return "", false
	}
	c, ok := parseIncomingContext(incomingCallContext)
	return c.node, ok
}

// mintIncomingContext returns a new incomingCallContext of this node and
// run.
func (s *Service) mintIncomingContext() string {
	return incomingContextPrefix + base64.RawURLEncoding.EncodeToString([]byte(s.cfg.NodeID)) + "." + s.run + "." + randomContext()
}

// ringing is an Invitation that waits for its application's decision.
type ringing struct {
	inv           callrec.Invitation
	serverCallID  string
	correlationID string
	context       string
	taken         bool                        // a decision is on its way
	decided       chan callrec.InviteDecision // buffered: one decision
}

// incomingCalls are the invitations that ring, by incomingCallContext.
type incomingCalls struct {
	mu   sync.Mutex
	byID map[string]*ringing
}

// Ring raises IncomingCall for inv (to the Event Grid subscriptions) and
// waits until the application answers, rejects or redirects it, or ctx
// ends (the caller cancelled, or the transport's ring timeout passed). An
// answer that raced with ctx's end is told so through its Connected.
func (s *Service) Ring(ctx context.Context, inv callrec.Invitation) (callrec.InviteDecision, error) {
	if s.cfg.Connections == nil {
		return callrec.InviteDecision{}, callrec.Errorf(callrec.KindUnavailable, callrec.CodeServiceUnavailable, "call automation is not configured")
	}
	r := &ringing{inv: inv, serverCallID: newServerCallID(), correlationID: newUUID(),
		context: s.mintIncomingContext(), decided: make(chan callrec.InviteDecision, 1)}
	s.incoming.mu.Lock()
	if s.incoming.byID == nil {
		s.incoming.byID = map[string]*ringing{}
	}
	s.incoming.byID[r.context] = r
	s.incoming.mu.Unlock()
	defer func() {
		s.incoming.mu.Lock()
		delete(s.incoming.byID, r.context)
		s.incoming.mu.Unlock()
	}()
	if err := s.cfg.Connections.AddEvents(ctx, s.incomingCall(r)); err != nil {
		return callrec.InviteDecision{}, err
	}
	s.cfg.Notify()
	s.log.InfoContext(ctx, "incoming call", "to", inv.To, "from", inv.From, "serverCallId", r.serverCallID,
		"correlationId", r.correlationID, "sipCallId", inv.SIPCallID)
	select {
	case d := <-r.decided:
		return d, nil
	case <-ctx.Done():
	}
	s.incoming.mu.Lock()
	taken := r.taken
	r.taken = true
	s.incoming.mu.Unlock()
	if taken { // a decision was being made: tell it the caller is gone
		if d := <-r.decided; d.Connected != nil {
			d.Connected(context.Cause(ctx))
		}
	}
	return callrec.InviteDecision{}, context.Cause(ctx)
}

// take claims the ringing call an incomingCallContext names, once.
func (s *Service) take(incomingCallContext string) (*ringing, error) {
	if incomingCallContext == "" {
		return nil, callrec.FieldErrorf("incomingCallContext", CodeInvalidIncomingCallContext, "incomingCallContext is required")
	}
	if !strings.HasPrefix(incomingCallContext, incomingContextPrefix) {
		return nil, callrec.FieldErrorf("incomingCallContext", CodeInvalidIncomingCallContext,
			"incomingCallContext is not one this server issued (copy it from the IncomingCall event)")
	}
	c, ok := parseIncomingContext(incomingCallContext)
	switch {
	case !ok:
		return nil, callrec.Errorf(callrec.KindNotFound, CodeIncomingCallNotFound, "no incoming call rings with this incomingCallContext")
	case c.node == s.cfg.NodeID && c.run != s.run:
		return nil, callrec.Errorf(callrec.KindNotFound, CodeIncomingCallExpired,
			"the incoming call rang before this server restarted: it has ended (the caller was told the call is unavailable)")
	case c.node != s.cfg.NodeID:
		return nil, callrec.Errorf(callrec.KindNotFound, CodeIncomingCallNotFound,
			"the incoming call rang on node %q, not on this one", c.node)
	}
	s.incoming.mu.Lock()
	defer s.incoming.mu.Unlock()
	r := s.incoming.byID[incomingCallContext]
	if r == nil || r.taken {
		return nil, callrec.Errorf(callrec.KindNotFound, CodeIncomingCallNotFound,
			"the incoming call is no longer ringing: answered, rejected or redirected already, cancelled by the caller, or timed out")
	}
	r.taken = true
	return r, nil
}

// incomingCall builds the IncomingCall event of r.
func (s *Service) incomingCall(r *ringing) callrec.Outgoing {
	headers := r.inv.SIPHeaders
	if headers == nil {
		headers = map[string]string{}
	}
	data, _ := json.Marshal(acswire.IncomingCallData{
		To:                  acswire.Identifier(r.inv.To),
		From:                acswire.Identifier(r.inv.From),
		ServerCallID:        r.serverCallID,
		CallerDisplayName:   r.inv.CallerDisplayName,
		CustomContext:       acswire.CustomContext{SIPHeaders: headers, VoIPHeaders: map[string]string{}},
		IncomingCallContext: r.context,
		CorrelationID:       r.correlationID,
	})
	return callrec.Outgoing{Event: callrec.Event{
		ID: newUUID(), Type: EventIncomingCall, Source: s.resourceID(),
		Subject: "/caller/" + r.inv.From + "/recipient/" + r.inv.To,
		Time:    s.now(), DataVersion: "1.0", Data: data,
	}}
}

// randomContext returns 32 random bytes, URL-safe base64: unguessable, so
// that only who received the event can act on the call.
func randomContext() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
