package service

import (
	"context"
	"slices"
	"time"

	"github.com/callrec/callrec"
)

// uploads is implemented by engines whose chunk uploads may outlive Stop
// (recorder.Engine, when the recordings store fails): Stop returns the
// chunks, and the file event waits until they are all stored.
type uploads interface {
	// Unstored reports whether a stopped recording still has chunks
	// waiting for their upload.
	Unstored(id string) bool
	// StoredChunks returns a stopped recording's chunks, whether they are
	// all stored, and whether the engine holds the recording at all.
	StoredChunks(id string) (chunks []callrec.Chunk, all, ok bool)
	// Release drops what the engine keeps of a stopped recording whose
	// chunks are stored and recorded.
	Release(id string) error
}

func (s *Service) unstored(id string) bool {
	u, ok := s.cfg.Engine.(uploads)
	return ok && u.Unstored(id)
}

func (s *Service) release(ctx context.Context, id string) {
	if u, ok := s.cfg.Engine.(uploads); ok {
		if err := u.Release(id); err != nil {
			s.log.WarnContext(ctx, "releasing a stopped recording's spool", "recordingId", id, "err", err)
		}
	}
}

// storedRetry is how often recording a stopped recording's stored chunks is
// tried again when it failed (the database unreachable).
const storedRetry = time.Second

// FilesStored records the chunks of stopped recordings whose uploads ended
// after their stop (stored: the engine's Stored), and sends their
// RecordingFileStatusUpdated event, once each: a recording whose chunks are
// recorded already (its event sent) is only released. A failure is tried
// again every second. A recording with externalStorage is exported first
// (byos.go), on a goroutine FilesStored owns. It returns when ctx is done
// and its exports have ended.
func (s *Service) FilesStored(ctx context.Context, stored <-chan string) {
	defer s.exports.jobs.Wait()
	var pending []string
	retry := time.NewTicker(storedRetry)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-stored:
			pending = append(pending, id)
		case <-s.exports.kick:
			pending = append(pending, s.exports.take()...)
		case <-retry.C:
		}
		pending = slices.DeleteFunc(pending, func(id string) bool { return s.filesStored(ctx, id) })
	}
}

// filesStored handles one recording and reports whether it is done with.
func (s *Service) filesStored(ctx context.Context, id string) bool {
	u, ok := s.cfg.Engine.(uploads)
	if !ok {
		return true
	}
	unlock := s.locks.lock(id)
	defer unlock()
	chunks, all, held := u.StoredChunks(id)
	if !held || !all {
		return true // released already, or restarted (Start undoes the stop)
	}
	r, err := s.cfg.Store.Recording(ctx, id)
	switch {
	case callrec.KindOf(err) == callrec.KindNotFound:
		s.release(ctx, id)
		return true
	case err != nil:
		s.log.WarnContext(ctx, "recording stored chunks; trying again", "recordingId", id, "err", err)
		return false
	case !r.Stopped:
		return true
	}
	if !announced(r) && len(chunks) > 0 && exported(r) {
		r.Chunks = chunks
		s.startExport(ctx, r)
		return true
	}
	if !announced(r) && len(chunks) > 0 {
		r.Chunks = chunks
		if err := s.cfg.Store.UpdateRecording(ctx, r, s.fileStatusUpdated(r, s.now())); err != nil {
			s.log.WarnContext(ctx, "recording stored chunks; trying again", "recordingId", id, "err", err)
			return false
		}
		s.cfg.Notify()
		s.log.InfoContext(ctx, "recording files stored", "recordingId", id, "chunks", len(chunks))
	}
	s.release(ctx, id)
	return true
}

// announced reports whether r's file event was sent: r lists chunks, all
// of them stored (a stored chunk list is written in the same transaction as
// the event).
func announced(r *callrec.Recording) bool {
	return len(r.Chunks) > 0 && !slices.ContainsFunc(r.Chunks, func(c callrec.Chunk) bool { return c.Unstored })
}
