package recorder

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"

	"github.com/callrec/callrec"
)

// RecoveredRecording is a recording whose spool survived a previous process.
type RecoveredRecording struct {
	// Recording is the recording as it was started (ID, Spec, StartedAt).
	Recording callrec.Recording
	// Chunks are all the chunks published so far, in index order.
	Chunks []callrec.Chunk
	// Finalized are the chunks this Recover call finalized (the leftover
	// live chunk with end reason serviceRestarted, and any whose upload had
	// not finished); their uploads go on in the background.
	Finalized []callrec.Chunk
	// Stopped says the recording was stopped (Stop returned) before the
	// process ended, with uploads still to do or its spool not released.
	Stopped bool
}

// Recover finalizes the chunks that a previous process left in the spool
// (after kill -9, a power cut, or Close), uploads them (each tried once
// before Recover returns, then retried in the background until stored), and
// reports each such recording. A stopped recording whose
// chunks are all stored is reported on Stored as well. Call it once at startup, before Start. The service then either
// restarts each recording (Start continues with the next chunk) or ends it
// (Stop returns all its chunks and removes its spool), and emits the file
// event from the chunks. Recordings live in this engine are skipped. A spool
// that cannot be recovered is logged and skipped, so one bad recording does
// not block the others.
func (e *Engine) Recover(ctx context.Context) ([]RecoveredRecording, error) {
	entries, err := os.ReadDir(e.spool)
	if err != nil {
		return nil, callrec.Internal(err, "cannot read spool")
	}
	var out []RecoveredRecording
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(ent.Name())
		if err != nil {
			continue
		}
		if _, err := e.session(string(raw)); err == nil {
			continue
		}
		dir := filepath.Join(e.spool, ent.Name())
		jf, err := e.journal(dir)
		if errors.Is(err, os.ErrNotExist) {
			e.log.Warn("recorder: spool without journal", "dir", dir)
			continue
		}
		if err != nil {
			e.log.Error("recorder: unreadable journal", "dir", dir, "err", err)
			continue
		}
		finalized, jobs, err := e.finishPending(dir, jf)
		if err != nil {
			e.log.Error("recorder: recover", "dir", dir, "err", err)
			continue
		}
		waitTried(ctx, jobs)
		j := jf.snapshot()
		sortChunks(j.Chunks)
		out = append(out, RecoveredRecording{Recording: j.Recording, Chunks: j.Chunks, Finalized: finalized, Stopped: j.Stopped})
		if j.Stopped && len(j.Pending) == 0 {
			e.stored.push(j.Recording.ID)
		}
		e.log.Info("recorder: recovered recording", "recording", j.Recording.ID, "chunks", len(j.Chunks), "finalized", len(finalized))
	}
	return out, nil
}
