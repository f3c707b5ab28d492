package service

import (
	"context"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/byos"
)

// StartRecording starts a recording of an active call. A repeated
// RepeatabilityID returns the recording it started the first time.
func (s *Service) StartRecording(ctx context.Context, req callrec.StartRecording) (*callrec.Recording, error) {
	spec := req.Spec
	if spec.ServerCallID == "" && spec.CallConnectionID != "" {
		conn, err := s.CallConnection(ctx, spec.CallConnectionID)
		if err != nil {
			return nil, callrec.FieldErrorf("callConnectionId", callrec.CodeCallConnectionNotFound,
				"callConnectionId %q is not a call connection of this server (%s)", spec.CallConnectionID, callrec.CodeOf(err))
		}
		spec.ServerCallID = conn.ServerCallID
	}
	if err := spec.Validate(s.maxUnmixedChannels()); err != nil {
		return nil, err
	}
	if s.cfg.Engine != nil {
		if err := s.cfg.Engine.Check(&spec); err != nil {
			return nil, err
		}
	}
	if spec.ExternalStorage != nil {
		if err := s.checkExternal(spec.ExternalStorage); err != nil {
			return nil, err
		}
	}
	if _, err := s.activeCall(ctx, spec.ServerCallID); err != nil {
		return nil, err
	}
	now := s.now()
	id := newRecordingID()
	if es := spec.ExternalStorage; es != nil {
		dst := *es
		dst.Folder = byos.Folder(now, spec.ServerCallID, id)
		spec.ExternalStorage = &dst
	}
	r := &callrec.Recording{
		ID:              id,
		Spec:            spec,
		State:           callrec.StateActive,
		RepeatabilityID: req.RepeatabilityID,
		StartedAt:       now,
	}
	if spec.PauseOnStart {
		r.State = callrec.StateInactive
		r.Pauses = []callrec.PauseInterval{{Start: now}}
	}
	got, created, err := s.cfg.Store.CreateRecording(ctx, r, s.stateChanged(r, now), s.recordingLifecycle(EventRecordingStarted, r, now))
	if err != nil {
		return nil, err
	}
	if !created {
		s.log.InfoContext(ctx, "repeated start", "recordingId", got.ID, "repeatabilityRequestId", req.RepeatabilityID)
		return got, nil
	}
	s.cfg.Notify()
	if s.cfg.Engine != nil {
		if err := s.cfg.Engine.Start(ctx, r); err != nil {
			s.log.ErrorContext(ctx, "recorder failed to start", "recordingId", r.ID, "err", err)
			r.Stopped, r.StoppedAt, r.EndReason, r.State = true, &now, "couldNotStart", callrec.StateInactive
			if uerr := s.cfg.Store.UpdateRecording(ctx, r, s.stateChanged(r, now), s.recordingLifecycle(EventRecordingStopped, r, now)); uerr != nil {
				s.log.ErrorContext(ctx, "storing failed start", "recordingId", r.ID, "err", uerr)
			}
			s.cfg.Notify()
			return nil, err
		}
	}
	s.log.InfoContext(ctx, "recording started", "recordingId", r.ID, "serverCallId", spec.ServerCallID,
		"content", spec.Content, "channel", spec.Channel, "format", spec.Format, "state", r.State)
	return r, nil
}

// Recording returns a recording that is not stopped.
func (s *Service) Recording(ctx context.Context, id string) (*callrec.Recording, error) {
	r, err := s.cfg.Store.Recording(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Stopped {
		return nil, notFound(id)
	}
	return r, nil
}

// RecordingResult returns any recording with its chunks.
func (s *Service) RecordingResult(ctx context.Context, id string) (*callrec.Recording, error) {
	return s.cfg.Store.Recording(ctx, id)
}

func notFound(id string) error {
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeRecordingNotFound, "recording %q not found or already stopped", id)
}

// PauseRecording makes an active recording inactive; pausing a paused
// recording changes nothing.
func (s *Service) PauseRecording(ctx context.Context, id string) error {
	return s.transition(ctx, id, callrec.StateInactive, func(r *callrec.Recording, now time.Time) error {
		r.Pauses = append(r.Pauses, callrec.PauseInterval{Start: now})
		if s.cfg.Engine != nil {
			return s.cfg.Engine.Pause(ctx, id)
		}
		return nil
	})
}

// ResumeRecording makes a paused recording active again; resuming an active
// recording changes nothing.
func (s *Service) ResumeRecording(ctx context.Context, id string) error {
	return s.transition(ctx, id, callrec.StateActive, func(r *callrec.Recording, now time.Time) error {
		closeOpenPause(r, now)
		if s.cfg.Engine != nil {
			return s.cfg.Engine.Resume(ctx, id)
		}
		return nil
	})
}

func closeOpenPause(r *callrec.Recording, now time.Time) {
	if n := len(r.Pauses); n > 0 && r.Pauses[n-1].Duration == 0 {
		r.Pauses[n-1].Duration = now.Sub(r.Pauses[n-1].Start)
	}
}

// transition moves a live recording to state `to`, applying change first.
func (s *Service) transition(ctx context.Context, id string, to callrec.RecordingState, change func(*callrec.Recording, time.Time) error) error {
	unlock := s.locks.lock(id)
	defer unlock()
	r, err := s.Recording(ctx, id)
	if err != nil {
		return err
	}
	if r.State == to {
		return nil
	}
	now := s.now()
	if err := change(r, now); err != nil {
		return err
	}
	r.State = to
	if err := s.cfg.Store.UpdateRecording(ctx, r, s.stateChanged(r, now), s.recordingLifecycle(stateLifecycleType(to), r, now)); err != nil {
		return err
	}
	s.cfg.Notify()
	s.log.InfoContext(ctx, "recording state changed", "recordingId", id, "state", to)
	return nil
}

// StopRecording stops a live recording and finalizes its files.
func (s *Service) StopRecording(ctx context.Context, id string) error {
	unlock := s.locks.lock(id)
	defer unlock()
	r, err := s.Recording(ctx, id)
	if err != nil {
		return err
	}
	return s.stopLocked(ctx, r, callrec.EndReasonSessionEnded)
}

// stop stops r (already loaded) under its lock; notLiveOK as for finish.
func (s *Service) stop(ctx context.Context, r *callrec.Recording, reason string, notLiveOK bool) error {
	unlock := s.locks.lock(r.ID)
	defer unlock()
	fresh, err := s.cfg.Store.Recording(ctx, r.ID)
	if err != nil {
		return err
	}
	if fresh.Stopped {
		return nil
	}
	return s.finish(ctx, fresh, reason, notLiveOK)
}

func (s *Service) stopLocked(ctx context.Context, r *callrec.Recording, reason string) error {
	return s.finish(ctx, r, reason, false)
}

// finish stops r with reason, its engine finalizing the files; notLiveOK
// (a recording of a lost node) has the engine adopt the recording from what
// the lost node staged in the shared store, and keeps r's stored chunks
// when there is nothing to adopt.
func (s *Service) finish(ctx context.Context, r *callrec.Recording, reason string, notLiveOK bool) error {
	unstored, export := false, false
	if s.cfg.Engine != nil {
		chunks, err := s.cfg.Engine.Stop(ctx, r.ID, reason)
		if notLiveOK && callrec.KindOf(err) == callrec.KindNotFound {
			chunks, err = s.adopt(ctx, r, reason)
		}
		switch {
		case err == nil:
			r.Chunks = chunks
			unstored = s.unstored(r.ID)
			export = exported(r) && !unstored
		case notLiveOK && callrec.KindOf(err) == callrec.KindNotFound:
		default:
			return err
		}
	}
	if unstored || export {
		// Chunks still uploading, or to export to external storage
		// (byos.go): the recording lists them at once (their content is
		// served from the spool or the store meanwhile), and its file event
		// goes out once they are all stored (FilesStored) and exported.
		for i := range r.Chunks {
			r.Chunks[i].Unstored = true
		}
	}
	now := s.now()
	closeOpenPause(r, now)
	r.Stopped, r.StoppedAt, r.EndReason, r.State = true, &now, reason, callrec.StateInactive
	events := []callrec.Outgoing{s.stateChanged(r, now), s.recordingLifecycle(EventRecordingStopped, r, now)}
	switch {
	case len(r.Chunks) == 0 || unstored || export:
		// No files, or their event waits (FilesStored, byos.go).
	case exported(r):
		// A lost node's recording with nothing here to adopt: its chunks
		// as the store lists them, not exported (docs/byos.md).
		events = append(events, s.fileStatusExported(r, now, &byos.Outcome{
			Error: "not exported: the recording's node was lost and no other node had its files to export"}))
	default:
		events = append(events, s.fileStatusUpdated(r, now))
	}
	if err := s.cfg.Store.UpdateRecording(ctx, r, events...); err != nil {
		return err
	}
	if export {
		s.exports.queue(r.ID)
	} else if !unstored {
		s.release(ctx, r.ID)
	}
	s.cfg.Notify()
	s.log.InfoContext(ctx, "recording stopped", "recordingId", r.ID, "reason", reason, "chunks", len(r.Chunks))
	return nil
}

// annotator is implemented by engines that keep a recording's callrec
// block in its metadata documents (recorder.Engine).
type annotator interface {
	Annotate(ctx context.Context, id string, block []byte) error
}

// AnnotateRecording sets a live recording's callrec block (a JSON object,
// e.g. a SIPREC session's metadata): in its metadata documents from the
// next finalized chunk on, and in its RecordingFileStatusUpdated event.
// A stopped recording keeps the block it had.
func (s *Service) AnnotateRecording(ctx context.Context, id string, block []byte) error {
	unlock := s.locks.lock(id)
	defer unlock()
	r, err := s.Recording(ctx, id)
	if err != nil {
		return err
	}
	r.Spec.Extension = block
	if err := s.cfg.Store.UpdateRecording(ctx, r); err != nil {
		return err
	}
	if a, ok := s.cfg.Engine.(annotator); ok {
		return a.Annotate(ctx, id, block)
	}
	return nil
}
