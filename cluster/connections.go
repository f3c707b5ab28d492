package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/callrec/callrec"
)

// CodeNodeUnavailable: the node that hosts the call cannot act on it now
// (unreachable, or its heartbeat is older than the lease): 503, with
// Retry-After.
const CodeNodeUnavailable = "NodeUnavailable"

// Connector is a call connection's control of its call (service.Service):
// read it, hang up, and list, add, remove and mute its call's
// participants.
type Connector interface {
	CallConnection(ctx context.Context, id string) (*callrec.CallConnection, error)
	HangUp(ctx context.Context, id string, forEveryone bool) error
	Participants(ctx context.Context, id string) ([]callrec.CallParticipant, error)
	Participant(ctx context.Context, id, rawID string) (*callrec.CallParticipant, error)
	AddParticipant(ctx context.Context, id string, c callrec.CreateCall, callbackURI string) (invitationID string, err error)
	RemoveParticipant(ctx context.Context, id, rawID, operationContext, callbackURI string) error
	MuteParticipant(ctx context.Context, id, rawID string) error
}

// Connections carries out a call connection's operations on the node that
// hosts its call's media (the participants' legs, their mute state, the
// dialer of its added legs), over internal HTTP as Incoming does, so that
// an application may talk to any node. The connection's properties are
// the shared database's: any node reads them.
type Connections struct {
	local Connector
	m     *Member
}

var _ Connector = (*Connections)(nil)

// NewConnections returns the Connector over this node's own.
func NewConnections(local Connector, m *Member) *Connections { return &Connections{local: local, m: m} }

// internal request and answer bodies of the call's node's routes.
type (
	hangUpIn struct{ ForEveryone bool }
	addIn    struct {
		Call        callrec.CreateCall
		CallbackURI string
	}
	removeIn  struct{ RawID, OperationContext, CallbackURI string }
	muteIn    struct{ RawID string }
	addedOut  struct{ InvitationID string }
	rosterOut struct{ Participants []callrec.CallParticipant }
)

// CallConnection reads a connection from the shared database.
func (c *Connections) CallConnection(ctx context.Context, id string) (*callrec.CallConnection, error) {
	return c.local.CallConnection(ctx, id)
}

// HangUp hangs up on the call's node: it disconnects the connection and,
// when the call ends, hangs up its participants and stops its recordings.
func (c *Connections) HangUp(ctx context.Context, id string, forEveryone bool) error {
	n, remote, err := c.host(ctx, id)
	if err != nil || !remote {
		if err != nil {
			return err
		}
		return c.local.HangUp(ctx, id, forEveryone)
	}
	return c.m.call(ctx, n, http.MethodPost, connectionPath(id, "hangup"), hangUpIn{forEveryone}, nil)
}

// Participants lists the call's participants as its node sees them (whom
// it muted).
func (c *Connections) Participants(ctx context.Context, id string) ([]callrec.CallParticipant, error) {
	n, remote, err := c.host(ctx, id)
	if err != nil || !remote {
		if err != nil {
			return nil, err
		}
		return c.local.Participants(ctx, id)
	}
	var out rosterOut
	if err := c.m.call(ctx, n, http.MethodGet, connectionPath(id, "participants"), nil, &out); err != nil {
		return nil, err
	}
	return out.Participants, nil
}

// Participant reads one participant of the call on its node.
func (c *Connections) Participant(ctx context.Context, id, rawID string) (*callrec.CallParticipant, error) {
	n, remote, err := c.host(ctx, id)
	if err != nil || !remote {
		if err != nil {
			return nil, err
		}
		return c.local.Participant(ctx, id, rawID)
	}
	var p callrec.CallParticipant
	if err := c.m.call(ctx, n, http.MethodGet, connectionPath(id, "participants", rawID), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// AddParticipant dials the callee into the call from its node; the outcome
// (AddParticipantSucceeded or AddParticipantFailed) is that node's to
// send.
func (c *Connections) AddParticipant(ctx context.Context, id string, cc callrec.CreateCall, callbackURI string) (string, error) {
	n, remote, err := c.host(ctx, id)
	if err != nil || !remote {
		if err != nil {
			return "", err
		}
		return c.local.AddParticipant(ctx, id, cc, callbackURI)
	}
	var out addedOut
	if err := c.m.call(ctx, n, http.MethodPost, connectionPath(id, "participants:add"), addIn{cc, callbackURI}, &out); err != nil {
		return "", err
	}
	return out.InvitationID, nil
}

// RemoveParticipant hangs up a participant's leg on the call's node.
func (c *Connections) RemoveParticipant(ctx context.Context, id, rawID, operationContext, callbackURI string) error {
	n, remote, err := c.host(ctx, id)
	if err != nil || !remote {
		if err != nil {
			return err
		}
		return c.local.RemoveParticipant(ctx, id, rawID, operationContext, callbackURI)
	}
	return c.m.call(ctx, n, http.MethodPost, connectionPath(id, "participants:remove"), removeIn{rawID, operationContext, callbackURI}, nil)
}

// MuteParticipant mutes a participant's leg on the call's node.
func (c *Connections) MuteParticipant(ctx context.Context, id, rawID string) error {
	n, remote, err := c.host(ctx, id)
	if err != nil || !remote {
		if err != nil {
			return err
		}
		return c.local.MuteParticipant(ctx, id, rawID)
	}
	return c.m.call(ctx, n, http.MethodPost, connectionPath(id, "participants:mute"), muteIn{rawID}, nil)
}

// host returns the node hosting the call of connection id when that is
// another node (remote true). A connection this node cannot read, one
// disconnected, and one whose call is not active or is this node's are
// handled here (remote false: the local service acts on it, or says what
// is wrong with it). A call whose node is not registered, or whose node's
// heartbeat is older than the lease, cannot be acted on until a live node
// takes it over (and ends it): NodeUnavailable.
func (c *Connections) host(ctx context.Context, id string) (n callrec.Node, remote bool, err error) {
	conn, err := c.local.CallConnection(ctx, id)
	if err != nil || conn.State == callrec.ConnectionDisconnected {
		return callrec.Node{}, false, nil
	}
	call, err := c.m.cfg.Store.Call(ctx, conn.ServerCallID)
	if err != nil || call.State != callrec.CallActive || call.Node == "" || call.Node == c.m.ID() {
		return callrec.Node{}, false, nil
	}
	n, known := c.m.node(ctx, call.Node)
	if known && !c.m.fresh(n) {
		n, known = c.m.reread(ctx, call.Node) // the registry as last read may be a heartbeat behind
	}
	if !known {
		return callrec.Node{}, false, callrec.Errorf(callrec.KindUnavailable, CodeNodeUnavailable,
			"node %s, which hosts the call, has left the cluster; retry later", call.Node)
	}
	if !c.m.fresh(n) {
		return callrec.Node{}, false, callrec.Errorf(callrec.KindUnavailable, CodeNodeUnavailable,
			"node %s, which hosts the call, has not renewed its heartbeat since %s: another node ends its calls once the lease has passed; retry later",
			n.ID, n.HeartbeatAt.UTC().Format(time.RFC3339))
	}
	return n, true, nil
}

// connectionPath is the internal path of a connection's route: segs
// (escaped) under connections/{id}/.
func connectionPath(id string, segs ...string) string {
	p := "connections/" + url.PathEscape(id)
	for _, s := range segs {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// serveConnection carries out here an operation of a connection whose
// call this node hosts: segs follow connections/{id}/.
func serveConnection(ctx context.Context, w http.ResponseWriter, method, id string, segs []string, body []byte, local Connector) error {
	decode := func(v any) error {
		if err := json.Unmarshal(body, v); err != nil {
			return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "internal connection request: %v", err)
		}
		return nil
	}
	switch {
	case method == http.MethodPost && len(segs) == 1 && segs[0] == "hangup":
		var in hangUpIn
		if err := decode(&in); err != nil {
			return err
		}
		return local.HangUp(ctx, id, in.ForEveryone)
	case method == http.MethodGet && len(segs) == 1 && segs[0] == "participants":
		list, err := local.Participants(ctx, id)
		if err != nil {
			return err
		}
		return writeJSON(w, rosterOut{list})
	case method == http.MethodGet && len(segs) == 2 && segs[0] == "participants":
		p, err := local.Participant(ctx, id, segs[1])
		if err != nil {
			return err
		}
		return writeJSON(w, p)
	case method == http.MethodPost && len(segs) == 1 && segs[0] == "participants:add":
		var in addIn
		if err := decode(&in); err != nil {
			return err
		}
		inv, err := local.AddParticipant(ctx, id, in.Call, in.CallbackURI)
		if err != nil {
			return err
		}
		return writeJSON(w, addedOut{inv})
	case method == http.MethodPost && len(segs) == 1 && segs[0] == "participants:remove":
		var in removeIn
		if err := decode(&in); err != nil {
			return err
		}
		return local.RemoveParticipant(ctx, id, in.RawID, in.OperationContext, in.CallbackURI)
	case method == http.MethodPost && len(segs) == 1 && segs[0] == "participants:mute":
		var in muteIn
		if err := decode(&in); err != nil {
			return err
		}
		return local.MuteParticipant(ctx, id, in.RawID)
	}
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeRouteNotFound, "no internal route for %s connections/%s/…", method, id)
}
