package recorder

import (
	"context"
	"errors"
	"os"
	"sync"
)

// spoolFile is a chunk's file as its writer sees it. Its Sync syncs the
// file, except during a commit (deferSync), whose sync is left to the
// engine's syncer: a writer's Sync then only flushes what it buffers.
type spoolFile struct {
	*os.File
	deferSync bool
}

// Sync implements the writers' File.
func (f *spoolFile) Sync() error {
	if f.deferSync {
		return nil
	}
	return syncData(f.File)
}

// syncer syncs the files recordings committed, one at a time, on one
// goroutine of the engine's. A goroutine blocked in fsync keeps its thread
// and wins a processor back when the disk answers; with every recording
// syncing at its own commit, a burst of them took the processors the media
// workers need (docs/BENCHMARKS.md, "Capacity: what serialized"). Here at
// most one sync is in flight, and a recording's commit never waits for
// the disk.
type syncer struct {
	mu    sync.Mutex
	dirty map[*session]*os.File
	wake  chan struct{}
}

func newSyncer() *syncer {
	return &syncer{dirty: map[*session]*os.File{}, wake: make(chan struct{}, 1)}
}

// add asks for f, s's current chunk file, to be synced soon.
func (y *syncer) add(s *session, f *os.File) {
	y.mu.Lock()
	y.dirty[s] = f
	y.mu.Unlock()
	select {
	case y.wake <- struct{}{}:
	default:
	}
}

// run syncs what is dirty until ctx ends. A sync's error goes to its
// session, which takes it at its next commit; a file closed meanwhile (its
// chunk was finalized, which syncs it) is not an error.
func (y *syncer) run(ctx context.Context) {
	var batch []*session
	var files []*os.File
	for {
		select {
		case <-y.wake:
		case <-ctx.Done():
			return
		}
		y.mu.Lock()
		batch, files = batch[:0], files[:0]
		for s, f := range y.dirty {
			batch = append(batch, s)
			files = append(files, f)
		}
		clear(y.dirty)
		y.mu.Unlock()
		for i, s := range batch {
			if err := syncData(files[i]); err != nil && !errors.Is(err, os.ErrClosed) {
				s.setSyncErr(err)
			}
		}
		clear(batch)
		clear(files)
	}
}
