package cluster

import (
	"context"
	"net/url"

	"github.com/callrec/callrec"
)

// Router is the control plane the HTTP API uses on a node that shares its
// database: reads from the database, changes on the node of the call.
type Router struct {
	local Local
	m     *Member
}

var (
	_ callrec.CallService      = (*Router)(nil)
	_ callrec.RecordingService = (*Router)(nil)
)

// NewRouter returns a Router over this node's own control plane.
func NewRouter(local Local, m *Member) *Router { return &Router{local: local, m: m} }

// CreateCall creates the call on the node Place picks.
func (r *Router) CreateCall(ctx context.Context, id string) (*callrec.Call, error) {
	n, err := r.m.Place(ctx)
	if err != nil {
		return nil, err
	}
	if n.ID == r.m.ID() {
		return r.local.CreateCall(ctx, id)
	}
	var c callrec.Call
	if err := r.m.call(ctx, n, "POST", "calls", struct{ ID string }{id}, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Call reads a call.
func (r *Router) Call(ctx context.Context, id string) (*callrec.Call, error) {
	return r.local.Call(ctx, id)
}

// ListCalls lists calls.
func (r *Router) ListCalls(ctx context.Context, q callrec.CallQuery) (*callrec.CallPage, error) {
	return r.local.ListCalls(ctx, q)
}

// EndCall ends a call on its node (which hangs up its participants and
// stops its recordings).
func (r *Router) EndCall(ctx context.Context, id string) error {
	if n, ok := r.m.owner(ctx, id); ok {
		return r.m.call(ctx, n, "POST", "calls/"+url.PathEscape(id)+"/end", nil, nil)
	}
	return r.local.EndCall(ctx, id)
}

// JoinParticipant records a join; transports call it on the call's node.
func (r *Router) JoinParticipant(ctx context.Context, callID, rawID string) error {
	return r.local.JoinParticipant(ctx, callID, rawID)
}

// LeaveParticipant records a leave.
func (r *Router) LeaveParticipant(ctx context.Context, callID, rawID string) error {
	return r.local.LeaveParticipant(ctx, callID, rawID)
}

// StartRecording starts a recording on its call's node.
func (r *Router) StartRecording(ctx context.Context, req callrec.StartRecording) (*callrec.Recording, error) {
	if n, ok := r.m.owner(ctx, req.Spec.ServerCallID); ok {
		var rec callrec.Recording
		if err := r.m.call(ctx, n, "POST", "recordings", req, &rec); err != nil {
			return nil, err
		}
		return &rec, nil
	}
	return r.local.StartRecording(ctx, req)
}

// Recording reads a recording that is not stopped.
func (r *Router) Recording(ctx context.Context, id string) (*callrec.Recording, error) {
	return r.local.Recording(ctx, id)
}

// RecordingResult reads any recording with its chunks.
func (r *Router) RecordingResult(ctx context.Context, id string) (*callrec.Recording, error) {
	return r.local.RecordingResult(ctx, id)
}

// ListRecordings lists recordings.
func (r *Router) ListRecordings(ctx context.Context, q callrec.RecordingQuery) (*callrec.RecordingPage, error) {
	return r.local.ListRecordings(ctx, q)
}

// PauseRecording pauses a recording on its call's node.
func (r *Router) PauseRecording(ctx context.Context, id string) error {
	return r.onOwner(ctx, id, "pause", r.local.PauseRecording)
}

// ResumeRecording resumes a recording on its call's node.
func (r *Router) ResumeRecording(ctx context.Context, id string) error {
	return r.onOwner(ctx, id, "resume", r.local.ResumeRecording)
}

// StopRecording stops a recording on its call's node.
func (r *Router) StopRecording(ctx context.Context, id string) error {
	return r.onOwner(ctx, id, "stop", r.local.StopRecording)
}

// onOwner runs op on the node of recording id's call: here, or there as
// the internal route verb.
func (r *Router) onOwner(ctx context.Context, id, verb string, here func(context.Context, string) error) error {
	rec, err := r.local.RecordingResult(ctx, id)
	if err != nil {
		return here(ctx, id) // it says what is wrong
	}
	if n, ok := r.m.owner(ctx, rec.Spec.ServerCallID); ok {
		return r.m.call(ctx, n, "POST", "recordings/"+url.PathEscape(id)+"/"+verb, nil, nil)
	}
	return here(ctx, id)
}
