package recorder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/callrec/callrec"
)

// A full disk ends a recording instead of silently stopping its file: the
// chunk being written keeps what reached the disk and ends with
// callrec.EndReasonStorageFull, it is published, and the engine reports the
// recording on Ended so that the service stops it (state callback, file
// event). The space reserve, given up at that moment, leaves room for the
// little all that writes; publishing a chunk links its spool file into the
// store rather than copying it.

// isNoSpace reports whether err is a write that failed for want of space.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// storageFull is the coded error of a recording whose disk is full.
func storageFull(err error) error {
	return callrec.StorageFull(err, "the disk of the data directory is full: the recording ended with what was written before")
}

// spoolError codes a failure of the spool or store: StorageFull when the
// disk is full, else Internal with msg.
func spoolError(err error, msg string) error {
	if isNoSpace(err) {
		return storageFull(err)
	}
	return callrec.Internal(err, msg)
}

// reserveFile is the name of the space reserve in the data directory.
const reserveFile = "space-reserve"

// reserve is a file of preallocated space, removed when the disk fills and
// made again when a recording starts with room for it.
type reserve struct {
	path string
	size int64
	mu   sync.Mutex
}

// ensure creates the reserve if it is missing. A disk without room for it
// is not an error of the caller's: it reports and leaves no partial file.
func (r *reserve) ensure() error {
	if r.size <= 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, err := os.Stat(r.path); err == nil && st.Size() == r.size {
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("recorder: space reserve: %w", err)
	}
	err = fallocate(f, r.size)
	if errors.Is(err, syscall.EOPNOTSUPP) {
		err = writeZeros(f, r.size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(r.path)
		return fmt.Errorf("recorder: space reserve: %w", err)
	}
	return nil
}

func writeZeros(f *os.File, n int64) error {
	zero := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, int64(len(zero)))
		if _, err := f.Write(zero[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// release removes the reserve and reports whether it was there.
func (r *reserve) release() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return os.Remove(r.path) == nil
}

// queue holds what the engine reports (recordings that ended on their own,
// recordings whose files are all stored) until a forwarder hands it to the
// reader of Ended or Stored.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	signal chan struct{} // capacity 1: something was queued
}

func newQueue[T any]() *queue[T] { return &queue[T]{signal: make(chan struct{}, 1)} }

func (q *queue[T]) push(ev T) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *queue[T]) take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// Ended delivers the recordings that ended on their own (their disk filled
// up), each once, until the engine closes. The service stops each with its
// Reason. Nothing is lost while nobody reads.
func (e *Engine) Ended() <-chan callrec.RecordingEnd { return e.endedOut }

// forward is the owner goroutine of the channel out that q feeds (Ended's,
// Stored's); it exits when the engine closes.
func forward[T any](ctx context.Context, q *queue[T], out chan<- T) {
	for {
		select {
		case <-q.signal:
		case <-ctx.Done():
			return
		}
		for _, ev := range q.take() {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}
}
