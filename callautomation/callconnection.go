package callautomation

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/callrec/callrec/internal/acswire"
)

// Call control (ACS Call Automation's call connections): answer, reject
// or redirect a call that rings (its IncomingCall event carries the
// incomingCallContext), place a call, and act on a call connection.

const callConnectionsPath = "/calling/callConnections"

// CallConnectionProperties describes a call connection.
type CallConnectionProperties struct {
	CallConnectionID string
	// ServerCallID is the call's id, for starting recordings.
	ServerCallID string
	// State is connecting, connected or disconnected.
	State       string
	CallbackURL string
	Targets     []CommunicationIdentifier
	// Source is who called (an answered call) or the caller id shown (a
	// placed one); nil when unknown.
	Source        CommunicationIdentifier
	CorrelationID string
	// AnsweredFor is the called number of an answered call to a number
	// ("+E164"), empty otherwise.
	AnsweredFor string
}

func propertiesFromWire(w *acswire.CallConnectionProperties) (*CallConnectionProperties, error) {
	if w.CallConnectionID == "" {
		return nil, fmt.Errorf("callautomation: the server's answer has no callConnectionId")
	}
	p := &CallConnectionProperties{CallConnectionID: w.CallConnectionID, ServerCallID: w.ServerCallID,
		State: w.CallConnectionState, CallbackURL: w.CallbackURI, CorrelationID: w.CorrelationID}
	for _, t := range w.Targets {
		p.Targets = append(p.Targets, IdentifierFromRawID(t.RawID))
	}
	if w.Source != nil {
		p.Source = IdentifierFromRawID(w.Source.RawID)
	}
	if w.AnsweredFor != nil {
		p.AnsweredFor = w.AnsweredFor.Value
	}
	return p, nil
}

// AnswerCallOptions are answerCall's optional settings.
type AnswerCallOptions struct {
	OperationContext string
}

// AnswerCall answers a call that rings: the caller joins a call whose
// serverCallId the answer (and the CallConnected event at callbackURL)
// carries.
func (c *Client) AnswerCall(ctx context.Context, incomingCallContext, callbackURL string, opts *AnswerCallOptions) (*CallConnectionProperties, error) {
	if incomingCallContext == "" || callbackURL == "" {
		return nil, fmt.Errorf("callautomation: answering needs the incomingCallContext and a callback URL")
	}
	body := acswire.AnswerCallRequest{IncomingCallContext: incomingCallContext, CallbackURI: callbackURL}
	if opts != nil {
		body.OperationContext = opts.OperationContext
	}
	var out acswire.CallConnectionProperties
	if err := c.callControl(ctx, http.MethodPost, callConnectionsPath+":answer", body, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return propertiesFromWire(&out)
}

// RejectCall rejects a call that rings; reason is "none" (or empty),
// "busy" or "forbidden".
func (c *Client) RejectCall(ctx context.Context, incomingCallContext, reason string) error {
	return c.callControl(ctx, http.MethodPost, callConnectionsPath+":reject",
		acswire.RejectCallRequest{IncomingCallContext: incomingCallContext, CallRejectReason: reason}, nil, http.StatusNoContent)
}

// RedirectCall sends a call that rings to target (a phone number or,
// with UnknownIdentifier, a SIP URI).
func (c *Client) RedirectCall(ctx context.Context, incomingCallContext string, target CommunicationIdentifier) error {
	w := target.wire()
	return c.callControl(ctx, http.MethodPost, callConnectionsPath+":redirect",
		acswire.RedirectCallRequest{IncomingCallContext: incomingCallContext, Target: &w}, nil, http.StatusNoContent)
}

// CreateCallOptions are createCall's optional settings.
type CreateCallOptions struct {
	// SourceCallerIDNumber is the caller id ("+E164") shown to a phone
	// number; required to call one.
	SourceCallerIDNumber string
	SourceDisplayName    string
	OperationContext     string
}

// CreateCall places a call to target; CallConnected (or CreateCallFailed)
// follows at callbackURL.
func (c *Client) CreateCall(ctx context.Context, target CommunicationIdentifier, callbackURL string, opts *CreateCallOptions) (*CallConnectionProperties, error) {
	body := acswire.CreateCallRequest{Targets: []acswire.CommunicationIdentifier{target.wire()}, CallbackURI: callbackURL}
	if opts != nil {
		if opts.SourceCallerIDNumber != "" {
			body.SourceCallerIDNumber = &acswire.PhoneNumber{Value: opts.SourceCallerIDNumber}
		}
		body.SourceDisplayName, body.OperationContext = opts.SourceDisplayName, opts.OperationContext
	}
	var out acswire.CallConnectionProperties
	if err := c.callControl(ctx, http.MethodPost, callConnectionsPath, body, &out, http.StatusCreated); err != nil {
		return nil, err
	}
	return propertiesFromWire(&out)
}

// CallConnection acts on one call connection; get one from
// Client.CallConnection.
type CallConnection struct {
	c    *Client
	id   string
	path string
}

// CallConnection returns the call connection callConnectionID.
func (c *Client) CallConnection(callConnectionID string) *CallConnection {
	return &CallConnection{c: c, id: callConnectionID, path: callConnectionsPath + "/" + acswire.EscapeComponent(callConnectionID)}
}

// Properties returns the connection's properties.
func (cc *CallConnection) Properties(ctx context.Context) (*CallConnectionProperties, error) {
	var out acswire.CallConnectionProperties
	if err := cc.c.callControl(ctx, http.MethodGet, cc.path, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return propertiesFromWire(&out)
}

// HangUp leaves the call; forEveryone ends it for every participant (its
// recordings stop).
func (cc *CallConnection) HangUp(ctx context.Context, forEveryone bool) error {
	if forEveryone {
		return cc.c.callControl(ctx, http.MethodPost, cc.path+":terminate", nil, nil, http.StatusNoContent)
	}
	return cc.c.callControl(ctx, http.MethodDelete, cc.path, nil, nil, http.StatusNoContent)
}

// CallParticipant is one participant of a connection's call.
type CallParticipant struct {
	Identifier CommunicationIdentifier
	IsMuted    bool
	IsOnHold   bool
}

func participantFromWire(w acswire.CallParticipant) CallParticipant {
	return CallParticipant{Identifier: IdentifierFromRawID(w.Identifier.RawID), IsMuted: w.IsMuted, IsOnHold: w.IsOnHold}
}

// ListParticipants returns the participants of the connection's call.
func (cc *CallConnection) ListParticipants(ctx context.Context) ([]CallParticipant, error) {
	var out acswire.GetParticipantsResponse
	if err := cc.c.callControl(ctx, http.MethodGet, cc.path+"/participants", nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	list := make([]CallParticipant, len(out.Value))
	for i, p := range out.Value {
		list[i] = participantFromWire(p)
	}
	return list, nil
}

// GetParticipant returns one participant by its raw id.
func (cc *CallConnection) GetParticipant(ctx context.Context, participant CommunicationIdentifier) (*CallParticipant, error) {
	var out acswire.CallParticipant
	path := cc.path + "/participants/" + acswire.EscapeComponent(participant.RawID())
	if err := cc.c.callControl(ctx, http.MethodGet, path, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	p := participantFromWire(out)
	return &p, nil
}

// RemoveParticipant disconnects a participant (a phone gets a BYE).
func (cc *CallConnection) RemoveParticipant(ctx context.Context, participant CommunicationIdentifier, operationContext string) error {
	w := participant.wire()
	if operationContext == "" {
		operationContext = uuid.NewString() // as the JS SDK does
	}
	return cc.c.callControl(ctx, http.MethodPost, cc.path+"/participants:remove",
		acswire.RemoveParticipantRequest{ParticipantToRemove: &w, OperationContext: operationContext}, nil, http.StatusAccepted)
}

// MuteParticipant mutes a participant: from now on its audio is silence.
func (cc *CallConnection) MuteParticipant(ctx context.Context, participant CommunicationIdentifier) error {
	return cc.c.callControl(ctx, http.MethodPost, cc.path+"/participants:mute",
		acswire.MuteParticipantsRequest{TargetParticipants: []acswire.CommunicationIdentifier{participant.wire()}}, nil, http.StatusOK)
}

// callControl sends one call-control request (with the api-version, and
// Repeatability headers on POSTs, as the official SDKs do) and decodes a
// JSON answer into out when out is not nil.
func (c *Client) callControl(ctx context.Context, method, path string, in, out any, ok int) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = encodeJSON(in); err != nil {
			return err
		}
	}
	req, err := c.newAPIRequest(method, path, true, body, ok)
	if err != nil {
		return err
	}
	if method == http.MethodPost && !strings.HasSuffix(path, "/participants") {
		req.header.Set("Repeatability-Request-ID", uuid.NewString())
		req.header.Set("Repeatability-First-Sent", time.Now().UTC().Format(http.TimeFormat))
	}
	return c.doJSON(ctx, req, out)
}
