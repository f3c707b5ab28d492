package service

import (
	"context"
	"sync"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/byos"
)

// Bring your own storage (docs/byos.md). A recording started with
// externalStorage keeps its files in callrec's store as any other; once its
// chunks are all stored, they are exported to its destination
// (Config.Exporter), and only then is its RecordingFileStatusUpdated event
// sent, saying whether the export succeeded. Until then its chunks are
// listed as Unstored (not announced), and the engine keeps the recording's
// spool, as for chunks still uploading, so that a restart exports it again.

// exports queues recordings whose export is due and runs the exports.
type exports struct {
	mu      sync.Mutex
	queued  []string
	running map[string]bool
	kick    chan struct{}
	jobs    sync.WaitGroup
}

// queue asks FilesStored to export a stopped recording.
func (x *exports) queue(id string) {
	x.mu.Lock()
	x.queued = append(x.queued, id)
	x.mu.Unlock()
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

func (x *exports) take() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	q := x.queued
	x.queued = nil
	return q
}

// exported reports whether a recording's files go to external storage (its
// file event waits for the export).
func exported(r *callrec.Recording) bool { return r.Spec.ExternalStorage != nil }

// checkExternal refuses a destination this server does not allow.
func (s *Service) checkExternal(es *callrec.ExternalStorage) error {
	var d *byos.Destinations
	if s.cfg.Exporter != nil {
		d = s.cfg.Exporter.Destinations
	}
	if err := d.Check(es); err != nil {
		return err
	}
	if _, ok := s.cfg.Engine.(uploads); !ok {
		return callrec.FieldErrorf("externalStorage", byos.CodeNotSupported,
			"externalStorage: this server records no files of its own to export")
	}
	return nil
}

// startExport exports r (stopped, its chunks all stored and given) on a
// goroutine of its own, unless one runs already; the goroutine commits the
// chunks with the file event and releases the spool. FilesStored owns it:
// it ends when ctx does, leaving the spool for the next start.
func (s *Service) startExport(ctx context.Context, r *callrec.Recording) {
	s.exports.mu.Lock()
	defer s.exports.mu.Unlock()
	if s.exports.running[r.ID] {
		return
	}
	if s.exports.running == nil {
		s.exports.running = map[string]bool{}
	}
	s.exports.running[r.ID] = true
	s.exports.jobs.Go(func() {
		defer func() {
			s.exports.mu.Lock()
			delete(s.exports.running, r.ID)
			s.exports.mu.Unlock()
		}()
		s.export(ctx, r)
	})
}

// export runs one recording's export, then commits its file event (tried
// again every second while the store fails).
func (s *Service) export(ctx context.Context, r *callrec.Recording) {
	var out byos.Outcome
	if s.cfg.Exporter == nil {
		out = byos.Outcome{Error: "this server has no external storage configured (serve --external-storage)"}
	} else {
		var err error
		if out, err = s.cfg.Exporter.Export(ctx, r); err != nil {
			return // closing: the next start exports it
		}
	}
	chunks := r.Chunks
	for {
		done, err := s.commitExport(ctx, r.ID, chunks, out)
		if done {
			return
		}
		s.log.WarnContext(ctx, "recording exported chunks; trying again", "recordingId", r.ID, "err", err)
		t := time.NewTimer(storedRetry)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// commitExport records an exported recording's chunks with its file event
// and releases its spool; done is false when the store failed.
func (s *Service) commitExport(ctx context.Context, id string, chunks []callrec.Chunk, out byos.Outcome) (done bool, err error) {
	unlock := s.locks.lock(id)
	defer unlock()
	r, err := s.cfg.Store.Recording(ctx, id)
	switch {
	case callrec.KindOf(err) == callrec.KindNotFound:
		s.release(ctx, id)
		return true, nil
	case err != nil:
		return false, err
	case !r.Stopped || announced(r):
		return true, nil
	}
	r.Chunks = chunks
	if err := s.cfg.Store.UpdateRecording(ctx, r, s.fileStatusExported(r, s.now(), &out)); err != nil {
		return false, err
	}
	s.cfg.Notify()
	s.log.InfoContext(ctx, "recording files stored", "recordingId", id, "chunks", len(chunks),
		"externalStorage", r.Spec.ExternalStorage.ContainerURL, "exported", out.Exported, "attempts", out.Attempts)
	s.release(ctx, id)
	return true, nil
}
