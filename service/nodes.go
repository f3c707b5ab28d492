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
// engine can finalize for it (none when its files never left the lost
// node) or, failing that, those already stored; then the call ends. The
// events are those of any stop and call end, written once: the takeover
// that moved the call here happened in one transaction on one node.
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
	s.cfg.Notify()
	s.log.InfoContext(ctx, "call of a lost node ended", "serverCallId", id, "reason", reason, "recordingsStopped", len(recs))
	return nil
}
