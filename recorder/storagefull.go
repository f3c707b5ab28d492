package recorder

import (
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

// endedQueue holds the recordings that ended on their own until the
// engine's forwarder hands them to Ended's reader.
type endedQueue struct {
	mu     sync.Mutex
	items  []callrec.RecordingEnd
	signal chan struct{} // capacity 1: something was queued
}

func (q *endedQueue) push(ev callrec.RecordingEnd) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *endedQueue) take() []callrec.RecordingEnd {
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

// forwardEnded is the owner goroutine of Ended's channel; it exits when the
// engine closes.
func (e *Engine) forwardEnded() {
	for {
		select {
		case <-e.ended.signal:
		case <-e.ctx.Done():
			return
		}
		for _, ev := range e.ended.take() {
			select {
			case e.endedOut <- ev:
			case <-e.ctx.Done():
				return
			}
		}
	}
}
