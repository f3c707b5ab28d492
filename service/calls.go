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
	c := &callrec.Call{ServerCallID: id, State: callrec.CallActive, CreatedAt: s.now(), Participants: []callrec.Participant{}}
	if err := s.cfg.Store.CreateCall(ctx, c); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "call created", "serverCallId", id)
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

// EndCall ends a call and stops its recordings with reason callEnded.
func (s *Service) EndCall(ctx context.Context, id string) error {
	if _, err := s.activeCall(ctx, id); err != nil {
		return err
	}
	recs, err := s.cfg.Store.RecordingsOfCall(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := s.stop(ctx, r, callrec.EndReasonCallEnded); err != nil {
			return err
		}
	}
	if err := s.cfg.Store.EndCall(ctx, id, s.now()); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "call ended", "serverCallId", id, "recordingsStopped", len(recs))
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
	s.cfg.Notify()
	return nil
}

// LeaveParticipant records a leave.
func (s *Service) LeaveParticipant(ctx context.Context, callID, rawID string) error {
	now := s.now()
	if err := s.cfg.Store.LeaveParticipant(ctx, callID, rawID, now,
		s.participantLifecycle(EventCallParticipantLeft, callID, rawID, now)); err != nil {
		return err
	}
	s.cfg.Notify()
	return nil
}
