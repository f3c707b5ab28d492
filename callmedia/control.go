package callmedia

import (
	"context"

	"github.com/callrec/callrec"
)

// ReasonRemoved: an application removed the participant (Call Automation
// removeParticipant).
const ReasonRemoved = "RemovedByApplication"

// CodeParticipantNotFound is the error code of Disconnect and Mute for a
// participant that is not in the call.
const CodeParticipantNotFound = "ParticipantNotFound"

// Disconnect hangs up one participant of callID (its leg is disconnected
// with ReasonRemoved) and returns once it has left, or with ctx's error.
// A participant that is not there is a 404 ParticipantNotFound error.
func (h *Hub) Disconnect(ctx context.Context, callID, rawID string) error {
	p := h.find(callID, rawID)
	if p == nil {
		return callrec.Errorf(callrec.KindNotFound, CodeParticipantNotFound, "participant %q is not in call %q", rawID, callID)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.leg.Disconnect(ReasonRemoved)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Mute mutes one participant of callID for the rest of its leg: its audio
// reaches subscribers as silence (the timeline keeps its place). A
// participant that is not there is a 404 ParticipantNotFound error.
func (h *Hub) Mute(callID, rawID string) error {
	p := h.find(callID, rawID)
	if p == nil {
		return callrec.Errorf(callrec.KindNotFound, CodeParticipantNotFound, "participant %q is not in call %q", rawID, callID)
	}
	p.muted.Store(true)
	return nil
}

// Muted reports whether an application muted rawID's current leg in callID.
func (h *Hub) Muted(callID, rawID string) bool {
	p := h.find(callID, rawID)
	return p != nil && p.muted.Load()
}

func (h *Hub) find(callID, rawID string) *Participant {
	h.mu.Lock()
	c := h.calls[callID]
	h.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.find(rawID)
}
