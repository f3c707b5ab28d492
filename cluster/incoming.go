package cluster

import (
	"context"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/service"
)

// Answerer acts on a ringing call (service.Service): answer, reject or
// redirect it by its incomingCallContext.
type Answerer interface {
	AnswerCall(ctx context.Context, a callrec.AnswerCall) (*callrec.CallConnection, error)
	RejectCall(ctx context.Context, incomingCallContext, reason string) error
	RedirectCall(ctx context.Context, incomingCallContext, target string) error
}

// Incoming carries out answer, reject and redirect on the node that holds
// the ringing call (its INVITE is held in that node's memory; the
// incomingCallContext names the node), so that an application may answer
// through any node.
type Incoming struct {
	local Answerer
	m     *Member
}

var _ Answerer = (*Incoming)(nil)

// NewIncoming returns the Answerer over this node's own.
func NewIncoming(local Answerer, m *Member) *Incoming { return &Incoming{local: local, m: m} }

// internal request bodies of the holder's routes.
type (
	rejectIn   struct{ IncomingCallContext, Reason string }
	redirectIn struct{ IncomingCallContext, Target string }
)

// AnswerCall answers a ringing call on the node that holds it.
func (i *Incoming) AnswerCall(ctx context.Context, a callrec.AnswerCall) (*callrec.CallConnection, error) {
	n, remote, err := i.holder(ctx, a.IncomingCallContext)
	if err != nil || !remote {
		if err != nil {
			return nil, err
		}
		return i.local.AnswerCall(ctx, a)
	}
	var c callrec.CallConnection
	if err := i.m.call(ctx, n, "POST", "incoming/answer", a, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// RejectCall rejects a ringing call on the node that holds it.
func (i *Incoming) RejectCall(ctx context.Context, incomingCallContext, reason string) error {
	n, remote, err := i.holder(ctx, incomingCallContext)
	if err != nil || !remote {
		if err != nil {
			return err
		}
		return i.local.RejectCall(ctx, incomingCallContext, reason)
	}
	return i.m.call(ctx, n, "POST", "incoming/reject", rejectIn{incomingCallContext, reason}, nil)
}

// RedirectCall redirects a ringing call on the node that holds it.
func (i *Incoming) RedirectCall(ctx context.Context, incomingCallContext, target string) error {
	n, remote, err := i.holder(ctx, incomingCallContext)
	if err != nil || !remote {
		if err != nil {
			return err
		}
		return i.local.RedirectCall(ctx, incomingCallContext, target)
	}
	return i.m.call(ctx, n, "POST", "incoming/redirect", redirectIn{incomingCallContext, target}, nil)
}

// holder returns the node holding the ringing call incomingCallContext
// names when that is another node (remote true). A context this node
// cannot place is handled here (remote false: the local service says
// what is wrong with it). A node that is no longer registered, or whose
// heartbeat is older than the lease, took its ringing calls with it:
// IncomingCallExpired.
func (i *Incoming) holder(ctx context.Context, incomingCallContext string) (n callrec.Node, remote bool, err error) {
	id, ok := service.IncomingCallNode(incomingCallContext)
	if !ok || id == i.m.ID() || id == "" {
		return callrec.Node{}, false, nil
	}
	n, known := i.m.node(ctx, id)
	if !known {
		return callrec.Node{}, false, callrec.Errorf(callrec.KindNotFound, service.CodeIncomingCallExpired,
			"the incoming call rang on node %s, which has left the cluster: it has ended", id)
	}
	if !i.m.fresh(n) {
		return callrec.Node{}, false, callrec.Errorf(callrec.KindNotFound, service.CodeIncomingCallExpired,
			"the incoming call rang on node %s, which has not renewed its heartbeat since %s: it has ended",
			id, n.HeartbeatAt.UTC().Format(time.RFC3339))
	}
	return n, true, nil
}
