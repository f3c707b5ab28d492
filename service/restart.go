package service

import (
	"context"

	"github.com/callrec/callrec"
)

// liveLister is implemented by stores that can list every live recording.
type liveLister interface {
	LiveRecordings(ctx context.Context) ([]*callrec.Recording, error)
}

// RestartRecorders restarts the recorders of recordings that were live when
// the process last stopped (cleanly or not); the engine finalizes what the
// old process wrote and continues with a new chunk. recovered lists the ids
// of recordings whose files the engine found at startup: those the store
// already records as stopped (the process died between finalizing and
// committing) are finished now, so their file event is still sent. Call it
// once at startup.
func (s *Service) RestartRecorders(ctx context.Context, recovered []string) error {
	if s.cfg.Engine == nil {
		return nil
	}
	for _, id := range recovered {
		r, err := s.cfg.Store.Recording(ctx, id)
		if err != nil || !r.Stopped {
			continue
		}
		if err := s.finishStopped(ctx, r); err != nil {
			s.log.ErrorContext(ctx, "finishing a recovered recording", "recordingId", id, "err", err)
		}
	}
	ll, ok := s.cfg.Store.(liveLister)
	if !ok {
		return nil
	}
	recs, err := ll.LiveRecordings(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if c, err := s.cfg.Store.Call(ctx, r.Spec.ServerCallID); err != nil || !s.owns(c) {
			continue // another node's (several sharing the database)
		}
		if err := s.cfg.Engine.Start(ctx, r); err != nil {
			s.log.ErrorContext(ctx, "restarting recorder", "recordingId", r.ID, "err", err)
			continue
		}
		s.log.InfoContext(ctx, "recorder restarted", "recordingId", r.ID)
	}
	return nil
}

// finishStopped collects the chunks of a recording stopped in the store
// whose files were still in the engine, and emits its file event.
func (s *Service) finishStopped(ctx context.Context, r *callrec.Recording) error {
	unlock := s.locks.lock(r.ID)
	defer unlock()
	chunks, err := s.cfg.Engine.Stop(ctx, r.ID, r.EndReason)
	if err != nil {
		return err
	}
	if s.unstored(r.ID) {
		return nil // the file event goes out when they are stored (FilesStored)
	}
	// Chunks recorded already: their event is sent (before a crash, or by
	// the node that took the call over and finalized the staged parts).
	// This engine's upload replaced their objects: record what they hold
	// now, without a second event.
	first := !announced(r)
	if first && exported(r) {
		s.exports.queue(r.ID) // the file event goes out once exported
		return nil
	}
	r.Chunks = chunks
	var events []callrec.Outgoing
	if first {
		events = append(events, s.fileStatusUpdated(r, s.now()))
	}
	if err := s.cfg.Store.UpdateRecording(ctx, r, events...); err != nil {
		return err
	}
	s.release(ctx, r.ID)
	s.cfg.Notify()
	return nil
}
