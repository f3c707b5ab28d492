package service

import (
	"context"
	"slices"
	"time"

	"github.com/callrec/callrec"
)

// endRetry is how often a recording the engine ended is stopped again when
// the stop failed (its database on the same full disk).
const endRetry = time.Second

// EndRecordings stops, each with its reason, the recordings that the engine
// ended on its own (ended: a full disk), so that their state changes, their
// state callback and file event go out as for any stop. A stop that fails is
// tried again every second. It returns when ctx is done.
func (s *Service) EndRecordings(ctx context.Context, ended <-chan callrec.RecordingEnd) {
	var pending []callrec.RecordingEnd
	retry := time.NewTicker(endRetry)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-ended:
			pending = append(pending, ev)
		case <-retry.C:
		}
		pending = slices.DeleteFunc(pending, func(ev callrec.RecordingEnd) bool { return s.endRecording(ctx, ev) })
	}
}

// endRecording stops one ended recording and reports whether it is done with.
func (s *Service) endRecording(ctx context.Context, ev callrec.RecordingEnd) bool {
	err := s.stop(ctx, &callrec.Recording{ID: ev.RecordingID}, ev.Reason, false)
	switch {
	case err == nil:
		return true
	case callrec.KindOf(err) == callrec.KindNotFound:
		return true // deleted meanwhile
	default:
		s.log.WarnContext(ctx, "stopping a recording the engine ended; trying again", "recordingId", ev.RecordingID,
			"reason", ev.Reason, "err", err)
		return false
	}
}
