package service

import (
	"context"

	"github.com/callrec/callrec"
)

// owns reports whether c lives on this node: its own, or a call of no node
// (a single node, or one created before nodes were named).
func (s *Service) owns(c *callrec.Call) bool {
	return c.Node == "" || c.Node == s.cfg.NodeID
}

// EndLostCall ends a call taken over from a node that stopped renewing its
// lease (several nodes sharing one database): its recordings stop with
// reason (callrec.EndReasonNodeLost), each with the chunks this node's
// engine finalizes for it from what the lost node staged in the shared
// store (adopt), or, failing that, those already stored; then the call
// ends, and its connections still live are disconnected
// (CallDisconnected). The events are those of any stop and call end,
// written once: the takeover that moved the call here happened in one
// transaction on one node, and a recording's file event has an id of its
// own (fileEventID), which the database takes once.
func (s *Service) EndLostCall(ctx context.Context, id, reason string) error {
	c, err := s.cfg.Store.Call(ctx, id)
	if err != nil {
		return err
	}
	if c.State != callrec.CallActive {
		return nil
	}
	s.timers.disarm(id)
	recs, err := s.cfg.Store.RecordingsOfCall(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := s.stop(ctx, r, reason, true); err != nil {
			return err
		}
	}
	if err := s.cfg.Store.EndCall(ctx, id, s.now()); err != nil {
		return err
	}
	s.callEnded(ctx, id) // its connections: CallDisconnected
	s.cfg.Notify()
	s.log.InfoContext(ctx, "call of a lost node ended", "serverCallId", id, "reason", reason, "recordingsStopped", len(recs))
	return nil
}

// FinishTakenOver finishes here a recording that this node records but
// another node stopped, having taken its call over while this node's
// heartbeats did not reach the database: the engine finalizes the files,
// the recording gets its chunks and its file event, and the call's
// participants are hung up (the call has ended). A recording not stopped
// is left alone.
func (s *Service) FinishTakenOver(ctx context.Context, id string) error {
	r, err := s.cfg.Store.Recording(ctx, id)
	if err != nil || !r.Stopped {
		return err
	}
	if err := s.finishStopped(ctx, r); err != nil {
		return err
	}
	s.log.WarnContext(ctx, "recording taken over by another node finalized here", "recordingId", id, "chunks", len(r.Chunks))
	if s.cfg.Media != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
		defer cancel()
		if err := s.cfg.Media.Hangup(hctx, r.Spec.ServerCallID); err != nil {
			s.log.WarnContext(ctx, "hanging up a call taken over", "serverCallId", r.Spec.ServerCallID, "err", err)
		}
	}
	return nil
}

// adopter is implemented by engines that can finalize a lost node's
// recording from the shared store (recorder.Engine).
type adopter interface {
	Adopt(ctx context.Context, id, endReason string) error
}

// adopt has the engine take up r, a recording of a lost node, from what
// that node staged in the shared store, and stops it there: the chunks it
// returns hold the audio up to the lost node's last staged part. It returns
// a NotFound error when there is nothing to adopt.
func (s *Service) adopt(ctx context.Context, r *callrec.Recording, reason string) ([]callrec.Chunk, error) {
	a, ok := s.cfg.Engine.(adopter)
	if !ok {
		return nil, callrec.Errorf(callrec.KindNotFound, callrec.CodeRecordingNotFound, "recording %s is not being recorded", r.ID)
	}
	if err := a.Adopt(ctx, r.ID, reason); err != nil {
		return nil, err
	}
	chunks, err := s.cfg.Engine.Stop(ctx, r.ID, reason)
	if err == nil {
		s.log.WarnContext(ctx, "recording of a lost node finalized from its staged parts", "recordingId", r.ID, "chunks", len(chunks))
	}
	return chunks, err
}
