package service

import (
	"context"

	"github.com/callrec/callrec"
)

// liveLister is implemented by stores that can list every live recording.
type liveLister interface {
	LiveRecordings(ctx context.Context) ([]*callrec.Recording, error)
}

// RestartRecorders restarts the recorders of recordings that were live when the
// process last stopped (cleanly or not). The engine finalizes what the old
// process wrote and continues with a new chunk. Call it once at startup.
func (s *Service) RestartRecorders(ctx context.Context) error {
	if s.cfg.Engine == nil {
		return nil
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
		if err := s.cfg.Engine.Start(ctx, r); err != nil {
			s.log.ErrorContext(ctx, "restarting recorder", "recordingId", r.ID, "err", err)
			continue
		}
		s.log.InfoContext(ctx, "recorder restarted", "recordingId", r.ID)
	}
	return nil
}
