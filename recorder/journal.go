package recorder

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/atomicfile"
)

const journalName = "journal.json"

// journal is what a restarted process needs to finalize and continue a
// recording. It is rewritten atomically (temp file, sync, rename) on every
// change.
type journal struct {
	Recording callrec.Recording `json:"recording"`
	// Origin of the current segment (since Start): call-clock position and
	// wall time of sample 0.
	StartPos  int64     `json:"startPos"`
	StartTime time.Time `json:"startTime"`
	Channels  int       `json:"channels"`
	// Assigned persists unmixed channels across restarts.
	Assigned []assignment `json:"assigned,omitempty"`
	Pauses   []pause      `json:"pauses,omitempty"`
	// Chunks are published.
	Chunks []callrec.Chunk `json:"chunks,omitempty"`
	// Pending are chunks on local disk, not yet published: the live one
	// (EndReason empty) and finalized ones being uploaded.
	Pending   []pendingChunk `json:"pending,omitempty"`
	NextIndex int            `json:"nextIndex"`
	// Stopped is set by Stop; the spool stays until every chunk is stored
	// and the service has taken the chunks (Release).
	Stopped   bool   `json:"stopped,omitempty"`
	EndReason string `json:"endReason,omitempty"`
}

// pendingChunk is a chunk whose WAV is in the spool.
type pendingChunk struct {
	Index        int       `json:"index"`
	DocumentID   string    `json:"documentId"`
	File         string    `json:"file"` // base name in the spool directory
	StartPos     int64     `json:"startPos"`
	StartTime    time.Time `json:"startTime"`
	EndPos       int64     `json:"endPos,omitempty"`
	EndReason    string    `json:"endReason,omitempty"` // empty while live
	Participants []string  `json:"participants,omitempty"`
	// Sealed is the chunk as reported once its file is final and its
	// metadata document written beside it; only its upload remains.
	Sealed *callrec.Chunk `json:"sealed,omitempty"`
}

// journalFile guards a journal and its file; the owner goroutine and the
// uploads of one recording share it.
type journalFile struct {
	mu   sync.Mutex
	path string
	j    journal
	// sealMu makes sealing a chunk happen once (Stop and an upload may
	// both ask).
	sealMu sync.Mutex
}

// journal returns the journal of the spool dir: the one the engine holds
// (a live session's, or one whose uploads are under way), or read from its
// file; every user of one spool shares one journalFile.
func (e *Engine) journal(dir string) (*journalFile, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if jf := e.journals[dir]; jf != nil {
		return jf, nil
	}
	jf, err := readJournal(dir)
	if err != nil {
		return nil, err
	}
	e.journals[dir] = jf
	return jf, nil
}

// newJournal registers the empty journal of a new spool dir.
func (e *Engine) newJournal(dir string) *journalFile {
	e.mu.Lock()
	defer e.mu.Unlock()
	jf := &journalFile{path: filepath.Join(dir, journalName)}
	e.journals[dir] = jf
	return jf
}

// forgetJournal drops the journal of a removed spool.
func (e *Engine) forgetJournal(dir string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.journals, dir)
}

func readJournal(dir string) (*journalFile, error) {
	path := filepath.Join(dir, journalName)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	jf := &journalFile{path: path}
	if err := json.Unmarshal(b, &jf.j); err != nil {
		return nil, fmt.Errorf("recorder: journal %s: %w", path, err)
	}
	return jf, nil
}

// update applies fn to the journal and saves it.
func (jf *journalFile) update(fn func(j *journal)) error {
	jf.mu.Lock()
	defer jf.mu.Unlock()
	fn(&jf.j)
	return jf.saveLocked()
}

// snapshot returns a deep enough copy for reading.
func (jf *journalFile) snapshot() journal {
	jf.mu.Lock()
	defer jf.mu.Unlock()
	j := jf.j
	j.Chunks = append([]callrec.Chunk(nil), j.Chunks...)
	j.Pending = append([]pendingChunk(nil), j.Pending...)
	j.Pauses = append([]pause(nil), j.Pauses...)
	j.Assigned = append([]assignment(nil), j.Assigned...)
	return j
}

func (jf *journalFile) saveLocked() error {
	b, err := json.MarshalIndent(&jf.j, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(jf.path, b, 0o600); err != nil {
		return fmt.Errorf("recorder: journal: %w", err)
	}
	return nil
}
