package service

import (
	"context"

	"github.com/callrec/callrec"
)

// CreateCall creates a call, minting an id when none is given.
func (s *Service) CreateCall(ctx context.Context, id string) (*callrec.Call, error) {
	if id == "" {
		id = newServerCallID()
	} else if err := validateID("serverCallId", id); err != nil {
		return nil, err
	}
	c := &callrec.Call{ServerCallID: id, State: callrec.CallActive, CreatedAt: s.now(), Participants: []callrec.Participant{},
		Node: s.cfg.NodeID}
	if err := s.cfg.Store.CreateCall(ctx, c); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "call created", "serverCallId", id)
	s.armUnjoined(c)
	return c, nil
}

// Call returns a call with its participants.
func (s *Service) Call(ctx context.Context, id string) (*callrec.Call, error) {
	return s.cfg.Store.Call(ctx, id)
}

// activeCall returns the call, or an error if it is unknown or ended.
func (s *Service) activeCall(ctx context.Context, id string) (*callrec.Call, error) {
	c, err := s.cfg.Store.Call(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.State != callrec.CallActive {
		return nil, callrec.Errorf(callrec.KindNotFound, callrec.CodeCallEnded, "call %q has ended", id)
	}
	return c, nil
}

// EndCall ends a call: its recordings stop with reason CallEnded, it takes
// no new participants or tokens, and every participant still in it is
// disconnected at once.
func (s *Service) EndCall(ctx context.Context, id string) error {
	if _, err := s.activeCall(ctx, id); err != nil {
		return err
	}
	s.timers.disarm(id)
	recs, err := s.cfg.Store.RecordingsOfCall(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := s.stop(ctx, r, callrec.EndReasonCallEnded, false); err != nil {
			return err
		}
	}
	if err := s.cfg.Store.EndCall(ctx, id, s.now()); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "call ended", "serverCallId", id, "recordingsStopped", len(recs))
	s.callEnded(ctx, id)
	if s.cfg.Media != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
		defer cancel()
		if err := s.cfg.Media.Hangup(hctx, id); err != nil {
			s.log.WarnContext(ctx, "hanging up the call's participants", "serverCallId", id, "err", err)
		}
	}
	return nil
}

// JoinParticipant records a join or rejoin to an active call.
func (s *Service) JoinParticipant(ctx context.Context, callID, rawID string) error {
	if _, err := s.activeCall(ctx, callID); err != nil {
		return err
	}
	if err := validateID("participant", rawID); err != nil {
		return err
	}
	now := s.now()
	if err := s.cfg.Store.JoinParticipant(ctx, callID, rawID, now,
		s.participantLifecycle(EventCallParticipantJoined, callID, rawID, now)); err != nil {
		return err
	}
	s.timers.disarm(callID)
	s.cfg.Notify()
	s.rosterChanged(ctx, callID)
	return nil
}

// LeaveParticipant records a leave. When the last participant of an active
// call leaves, the call's idle end is armed.
func (s *Service) LeaveParticipant(ctx context.Context, callID, rawID string) error {
	now := s.now()
	if err := s.cfg.Store.LeaveParticipant(ctx, callID, rawID, now,
		s.participantLifecycle(EventCallParticipantLeft, callID, rawID, now)); err != nil {
		return err
	}
	s.cfg.Notify()
	if c, err := s.cfg.Store.Call(ctx, callID); err == nil && c.State == callrec.CallActive && present(c) == 0 {
		s.armIdle(callID)
	}
	s.rosterChanged(ctx, callID)
	return nil
}
