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
// the disk. With many recordings, one sync of the spool's file system
// replaces a sync per file (syncedAll).
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
		if len(batch) < syncFSAtLeast || !syncedAll(files) {
			for i, s := range batch {
				if err := syncData(files[i]); err != nil && !errors.Is(err, os.ErrClosed) {
					s.setSyncErr(err)
				}
			}
		}
		clear(batch)
		clear(files)
	}
}

// syncFSAtLeast is the number of dirty files from which one sync of the
// spool's file system replaces a sync per file. At 170 recordings a sync
// per file every commit period was 9 % of the server's CPU, most of it in
// the device flush each one ends with (docs/BENCHMARKS.md).
const syncFSAtLeast = 2

// syncedAll syncs the file system holding files (all in the spool) at
// once, and reports whether it did so without error. On an error, or
// where the system has no such call, the caller syncs each file, which
// tells which recording the error belongs to.
func syncedAll(files []*os.File) bool {
	for _, f := range files {
		err := syncFS(f)
		if errors.Is(err, os.ErrClosed) {
			continue // finalized meanwhile: try another
		}
		return err == nil
	}
	return true // every file was closed, and so synced, by its chunk's end
}
