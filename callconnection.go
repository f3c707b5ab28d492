package callrec

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// CallConnectionState is the state of an application's leg in a call, as
// ACS Call Automation names it.
type CallConnectionState string

// Call connection states (ACS's callConnectionState values that callrec
// uses).
const (
	ConnectionConnecting   CallConnectionState = "connecting"
	ConnectionConnected    CallConnectionState = "connected"
	ConnectionDisconnected CallConnectionState = "disconnected"
)

// CallConnection is an application's leg in a call: what answerCall or
// createCall made, addressed by its callConnectionId. Its events
// (CallConnected, ParticipantsUpdated, CallDisconnected, …) go to
// CallbackURI.
type CallConnection struct {
	ID            string              `json:"callConnectionId"`
	ServerCallID  string              `json:"serverCallId"`
	CorrelationID string              `json:"correlationId"`
	State         CallConnectionState `json:"callConnectionState"`
	CallbackURI   string              `json:"callbackUri"`
	// OperationContext is the answer or create request's, echoed in
	// CallConnected and CallDisconnected.
	OperationContext string `json:"operationContext,omitempty"`
	// Inbound is true for an answered call, false for a created one.
	Inbound bool `json:"inbound"`
	// Source is the caller's raw id (inbound) or the caller id the call
	// was placed with (outbound, "4:+E164"; empty without one).
	Source string `json:"source,omitempty"`
	// Targets are the raw ids the call was placed to (outbound) or the
	// called number or user (inbound).
	Targets []string `json:"targets"`
	// AnsweredFor is the called phone number ("4:+E164") of an answered
	// call to a number.
	AnsweredFor       string     `json:"answeredFor,omitempty"`
	SourceDisplayName string     `json:"sourceDisplayName,omitempty"`
	CreatedAt         time.Time  `json:"createdAt"`
	EndedAt           *time.Time `json:"endedAt,omitempty"`
}

// CallConnectionStore persists call connections, so that a restarted node
// still answers for the connections of the calls it kept, and writes events
// that go with no other state change (IncomingCall).
type CallConnectionStore interface {
	// PutCallConnection creates or replaces c, committing events with it.
	PutCallConnection(ctx context.Context, c *CallConnection, events ...Outgoing) error
	// CallConnection returns a connection or a CallConnectionNotFound error.
	CallConnection(ctx context.Context, id string) (*CallConnection, error)
	// CallConnectionsOfCall returns a call's connections, oldest first.
	CallConnectionsOfCall(ctx context.Context, serverCallID string) ([]*CallConnection, error)
	// AddEvents stores events (and their deliveries) on their own.
	AddEvents(ctx context.Context, events ...Outgoing) error
}

// Invitation is an inbound call that rings: a SIP INVITE whose Request-URI
// raises IncomingCall instead of joining a call.
type Invitation struct {
	// To is the called identity's raw id: "4:+E164" for a number, else
	// "sip:user@host".
	To string
	// From is the caller's raw id (see sip's rawId rule).
	From string
	// CallerDisplayName is the From display name, "" without one.
	CallerDisplayName string
	// SIPHeaders are the INVITE's custom headers (X-*, User-To-User), by
	// their name as sent.
	SIPHeaders map[string]string
	// SIPCallID is the INVITE's Call-ID (for logs).
	SIPCallID string
}

// InviteAction is what an application decided for an Invitation.
type InviteAction int

// Invite actions.
const (
	InviteAnswer InviteAction = iota + 1
	InviteReject
	InviteRedirect
)

// InviteDecision is an application's answer to an Invitation.
type InviteDecision struct {
	Action InviteAction
	// ServerCallID is the call an answered invitation joins (it exists
	// when the decision is made); RawID the caller's participant id.
	ServerCallID string
	// Status and Reason are the SIP final response of a reject (486, 603,
	// 403).
	Status int
	Reason string
	// Target is a redirect's Contact URI (sip:… or tel:…).
	Target string
	// Connected is called once by the transport with the outcome of an
	// answer: nil once the caller acknowledged it and joined, else why not.
	Connected func(err error)
}

// DecodeCallConnection reads a CallConnection stored as JSON (the stores'
// document form).
func DecodeCallConnection(doc []byte) (*CallConnection, error) {
	var c CallConnection
	if err := json.Unmarshal(doc, &c); err != nil {
		return nil, Internal(err, "decoding call connection")
	}
	if c.Targets == nil {
		c.Targets = []string{}
	}
	return &c, nil
}

// AnswerCall is an answerCall request.
type AnswerCall struct {
	IncomingCallContext string
	CallbackURI         string
	OperationContext    string
	// RepeatabilityID (the Repeatability-Request-ID header) makes a
	// retried answer return the first one's connection.
	RepeatabilityID string
}

// CreateCall is a createCall (or addParticipant) request: dial Target
// (a raw id: "4:+E164" or a SIP URI "sip:user@host") into a call.
type CreateCall struct {
	Target            string
	CallbackURI       string
	OperationContext  string
	SourceCallerID    string // "+E164", required for a phone number target
	SourceDisplayName string
	SIPHeaders        map[string]string
	RepeatabilityID   string
}

// CallParticipant is a participant as a call connection sees it.
type CallParticipant struct {
	RawID    string
	IsMuted  bool
	IsOnHold bool
}

// Dial is an outbound leg for a transport to place: it calls Target into
// the call ServerCallID and reports the outcome through Result, once: nil
// when the callee answered and joined (as participant Target), else a
// *DialError.
type Dial struct {
	ServerCallID      string
	Target            string
	SourceCallerID    string
	SourceDisplayName string
	SIPHeaders        map[string]string
	Timeout           time.Duration
	Result            func(err error)
}

// DialError says why an outbound leg failed: the SIP final status and
// reason phrase (408 for no answer in time).
type DialError struct {
	Status int
	Reason string
}

func (e *DialError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Reason) }
