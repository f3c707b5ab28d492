package recorder

import (
	"errors"
	"os"

	"github.com/callrec/callrec"
)

// Stored delivers, once each, the ids of stopped recordings whose last
// chunks were stored after Stop returned (an upload that had failed, or one
// resumed after a restart), until the engine closes. The service then
// takes their chunks (StoredChunks), sends their file event and calls
// Release. Nothing is lost while nobody reads.
func (e *Engine) Stored() <-chan string { return e.storedOut }

// StoredChunks returns the chunks of a stopped recording, in index order,
// and whether every one is in storage. ok is false for a recording the
// engine holds nothing of (released, or never recorded here).
func (e *Engine) StoredChunks(id string) (chunks []callrec.Chunk, all bool, ok bool) {
	jf, err := e.journal(e.spoolDir(id))
	if err != nil {
		return nil, false, false
	}
	j := jf.snapshot()
	return sortChunks(j.Chunks), j.Stopped && len(j.Pending) == 0, true
}

// Unstored reports whether a stopped recording still has chunks waiting
// for their upload.
func (e *Engine) Unstored(id string) bool {
	_, all, ok := e.StoredChunks(id)
	return ok && !all
}

// Release removes the spool of a stopped recording whose chunks are all
// stored, once the service has recorded them; it does nothing otherwise.
func (e *Engine) Release(id string) error {
	dir := e.spoolDir(id)
	jf, err := e.journal(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return callrec.Internal(err, "cannot read the recording's journal")
	}
	if j := jf.snapshot(); !j.Stopped || len(j.Pending) > 0 {
		return nil
	}
	e.removeSpool(dir)
	return nil
}
