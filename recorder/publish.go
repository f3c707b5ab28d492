package recorder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
)

// contentTypeJSON is the content type of metadata documents.
const contentTypeJSON = "application/json"

// Blob metadata keys.
const (
	metaSHA256  = "sha256"
	metaCreated = "created"
)

// publish makes a finalized (or crashed) spool chunk valid, uploads its audio
// (WAV or MP3) and metadata document, moves it from Pending to Chunks in the journal and
// removes the spool file.
func (e *Engine) publish(ctx context.Context, dir string, jf *journalFile, pc pendingChunk) (callrec.Chunk, error) {
	path := filepath.Join(dir, pc.File)
	j := jf.snapshot()
	cf, err := formatOf(j.Recording.Spec.Format)
	if err != nil {
		return callrec.Chunk{}, err
	}
	frames, err := cf.repair(path)
	if err != nil {
		return callrec.Chunk{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return callrec.Chunk{}, fmt.Errorf("recorder: publish: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return callrec.Chunk{}, fmt.Errorf("recorder: publish: hash: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return callrec.Chunk{}, err
	}
	meta, err := json.MarshalIndent(buildMetadata(e.cfg.ResourceID, &j, pc, frames, sum), "", "  ")
	if err != nil {
		return callrec.Chunk{}, err
	}
	created := formatTime(e.cfg.Clock())
	audioOpts := blob.PutOptions{ContentType: cf.contentType, Metadata: map[string]string{metaSHA256: sum, metaCreated: created}}
	if files, ok := e.cfg.Blob.(blob.FileStore); ok {
		// A local store links the spool file: no copy, and no room needed
		// for one on a full disk.
		err = files.PutFile(ctx, audioKey(pc.DocumentID, cf), path, audioOpts)
	} else {
		err = e.cfg.Blob.Put(ctx, audioKey(pc.DocumentID, cf), f, audioOpts)
	}
	if err != nil {
		return callrec.Chunk{}, err
	}
	if err := e.cfg.Blob.Put(ctx, metadataKey(pc.DocumentID), bytes.NewReader(meta), blob.PutOptions{
		ContentType: contentTypeJSON, Metadata: map[string]string{metaCreated: created},
	}); err != nil {
		return callrec.Chunk{}, err
	}
	chunk := callrec.Chunk{
		DocumentID: pc.DocumentID,
		Index:      pc.Index,
		EndReason:  pc.EndReason,
		StartTime:  pc.StartTime,
		DurationMs: frames * 1000 / callrec.SampleRate,
		SHA256:     sum,
	}
	err = jf.update(func(j *journal) {
		kept := j.Pending[:0]
		for _, p := range j.Pending {
			if p.Index != pc.Index {
				kept = append(kept, p)
			}
		}
		j.Pending = kept
		j.Chunks = append(j.Chunks, chunk)
	})
	if isNoSpace(err) {
		// The journal in memory says published; until its file does, the
		// spool file (a link of the stored object, taking no room) stays
		// so that a restart can publish it again.
		e.log.Warn("recorder: journal not saved, the disk is full", "index", pc.Index, "err", err)
		return chunk, nil
	}
	if err != nil {
		return chunk, err
	}
	if err := os.Remove(path); err != nil {
		e.log.Warn("recorder: remove published spool chunk", "path", path, "err", err)
	}
	return chunk, nil
}

// finishPending finalizes and publishes every chunk left in a spool by a
// process that stopped without Stop: a live chunk gets end reason
// serviceRestarted and ends at its file's last modification.
func (e *Engine) finishPending(ctx context.Context, dir string, jf *journalFile) ([]callrec.Chunk, error) {
	var out []callrec.Chunk
	for _, pc := range jf.snapshot().Pending {
		if pc.EndReason == "" {
			pc.EndReason = callrec.EndReasonServiceRestarted
			if st, err := os.Stat(filepath.Join(dir, pc.File)); err == nil {
				j := jf.snapshot()
				pc.EndPos = j.StartPos + int64(st.ModTime().Sub(j.StartTime)/(time.Second/callrec.SampleRate))
				pc.EndPos = max(pc.EndPos, pc.StartPos)
			}
			if err := jf.update(func(j *journal) {
				for i := range j.Pending {
					if j.Pending[i].Index == pc.Index {
						j.Pending[i] = pc
					}
				}
			}); err != nil {
				return out, err
			}
		}
		if _, err := os.Stat(filepath.Join(dir, pc.File)); os.IsNotExist(err) {
			// Crashed after removing a published file but before the journal
			// said so: nothing left to publish.
			e.log.Warn("recorder: spool chunk missing", "dir", dir, "file", pc.File)
			continue
		}
		c, err := e.publish(ctx, dir, jf, pc)
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}
