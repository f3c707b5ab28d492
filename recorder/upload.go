package recorder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/internal/atomicfile"
)

// contentTypeJSON is the content type of metadata documents.
const contentTypeJSON = "application/json"

// Blob metadata keys.
const (
	metaSHA256  = "sha256"
	metaCreated = "created"
)

// upload is one chunk's upload job: a goroutine owned by the engine that
// tries until the chunk is stored or the engine closes.
type upload struct {
	// tried is closed when the first attempt has ended, stored or not.
	tried chan struct{}
}

func uploadKey(dir string, index int) string { return dir + "#" + strconv.Itoa(index) }

// queueUpload starts the upload of pending chunk index of the spool dir,
// unless it is under way already, and returns its job.
func (e *Engine) queueUpload(dir string, jf *journalFile, index int) *upload {
	key := uploadKey(dir, index)
	e.mu.Lock()
	defer e.mu.Unlock()
	if u := e.uploading[key]; u != nil {
		return u
	}
	u := &upload{tried: make(chan struct{})}
	if e.ctx.Err() != nil {
		close(u.tried) // closing: the next process uploads it
		return u
	}
	e.uploading[key] = u
	e.owners.Go(func() { e.runUpload(dir, jf, index, u) })
	return u
}

// runUpload seals and stores a chunk, retrying with exponential backoff
// (Config.UploadRetryMin doubling up to UploadRetryMax) until it is stored
// or the engine closes; the spool keeps the chunk meanwhile. It exits when
// the chunk is stored or the engine closes.
func (e *Engine) runUpload(dir string, jf *journalFile, index int, u *upload) {
	defer func() {
		e.mu.Lock()
		delete(e.uploading, uploadKey(dir, index))
		e.mu.Unlock()
	}()
	wait := e.cfg.UploadRetryMin
	for attempt := 1; ; attempt++ {
		err := e.store(e.ctx, dir, jf, index)
		if attempt == 1 {
			close(u.tried)
		}
		if err == nil {
			e.afterStore(dir, jf)
			return
		}
		if e.ctx.Err() != nil {
			return
		}
		e.metrics.uploadFailures.Inc()
		e.log.Warn("recorder: upload failed; trying again", "recording", jf.snapshot().Recording.ID, "index", index,
			"attempt", attempt, "retryIn", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-e.ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, e.cfg.UploadRetryMax)
	}
}

// afterStore reports a stopped recording whose last chunk was just stored.
func (e *Engine) afterStore(dir string, jf *journalFile) {
	j := jf.snapshot()
	if j.Stopped && len(j.Pending) == 0 {
		e.stored.push(j.Recording.ID)
	}
}

// pendingIndex finds pending chunk index in j.
func pendingIndex(j *journal, index int) int {
	return slices.IndexFunc(j.Pending, func(p pendingChunk) bool { return p.Index == index })
}

// seal makes a finalized (or crashed) spool chunk valid, and computes its
// hash, duration and metadata document (written beside it in the spool):
// after seal the chunk is what Stop reports, and only its upload remains.
// Sealing a sealed chunk returns it.
func (e *Engine) seal(dir string, jf *journalFile, index int) (callrec.Chunk, error) {
	jf.sealMu.Lock()
	defer jf.sealMu.Unlock()
	j := jf.snapshot()
	i := pendingIndex(&j, index)
	if i < 0 {
		// Stored meanwhile by its upload.
		if k := slices.IndexFunc(j.Chunks, func(c callrec.Chunk) bool { return c.Index == index }); k >= 0 {
			return j.Chunks[k], nil
		}
		return callrec.Chunk{}, fmt.Errorf("recorder: chunk %d is neither pending nor stored", index)
	}
	pc := j.Pending[i]
	if pc.Sealed != nil {
		return *pc.Sealed, nil
	}
	path := filepath.Join(dir, pc.File)
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
		return callrec.Chunk{}, fmt.Errorf("recorder: seal: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return callrec.Chunk{}, fmt.Errorf("recorder: seal: hash: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	meta, err := json.MarshalIndent(buildMetadata(e.cfg.ResourceID, &j, pc, frames, sum), "", "  ")
	if err != nil {
		return callrec.Chunk{}, err
	}
	if err := atomicfile.Write(filepath.Join(dir, metadataFile(pc)), meta, 0o600); err != nil {
		return callrec.Chunk{}, fmt.Errorf("recorder: seal: %w", err)
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
		if i := pendingIndex(j, index); i >= 0 {
			j.Pending[i].Sealed = &chunk
		}
	})
	if err != nil && !isNoSpace(err) {
		return chunk, err
	}
	// On a full disk the journal in memory says sealed; a restart seals
	// the chunk again.
	return chunk, nil
}

// metadataFile is the spool name of a sealed chunk's metadata document.
func metadataFile(pc pendingChunk) string { return pc.File + ".metadata.json" }

// store seals chunk index if needed, uploads its audio and metadata
// document, moves it from Pending to Chunks in the journal and removes its
// spool files.
func (e *Engine) store(ctx context.Context, dir string, jf *journalFile, index int) error {
	chunk, err := e.seal(dir, jf, index)
	if err != nil {
		return err
	}
	j := jf.snapshot()
	i := pendingIndex(&j, index)
	if i < 0 {
		return nil // stored meanwhile
	}
	pc := j.Pending[i]
	cf, err := formatOf(j.Recording.Spec.Format)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, pc.File)
	meta, err := os.ReadFile(filepath.Join(dir, metadataFile(pc)))
	if err != nil {
		return fmt.Errorf("recorder: upload: %w", err)
	}
	created := formatTime(e.cfg.Clock())
	audioOpts := blob.PutOptions{ContentType: cf.contentType, Metadata: map[string]string{metaSHA256: chunk.SHA256, metaCreated: created}}
	if files, ok := e.cfg.Blob.(blob.FileStore); ok {
		// A local store links the spool file: no copy, and no room needed
		// for one on a full disk. Remote stores copy it.
		err = files.PutFile(ctx, mediaKey(pc.DocumentID, cf), path, audioOpts)
	} else {
		err = putFile(ctx, e.cfg.Blob, mediaKey(pc.DocumentID, cf), path, audioOpts)
	}
	if err != nil {
		return err
	}
	if err := e.cfg.Blob.Put(ctx, metadataKey(pc.DocumentID), bytes.NewReader(meta), blob.PutOptions{
		ContentType: contentTypeJSON, Metadata: map[string]string{metaCreated: created},
	}); err != nil {
		return err
	}
	err = jf.update(func(j *journal) {
		j.Pending = slices.DeleteFunc(j.Pending, func(p pendingChunk) bool { return p.Index == index })
		if !slices.ContainsFunc(j.Chunks, func(c callrec.Chunk) bool { return c.Index == index }) {
			j.Chunks = append(j.Chunks, chunk)
		}
	})
	if isNoSpace(err) {
		// The journal in memory says stored; until its file does, the
		// spool file (a link of the stored object, taking no room) stays
		// so that a restart can store it again.
		e.log.Warn("recorder: journal not saved, the disk is full", "index", pc.Index, "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	e.metrics.uploaded.Inc()
	e.dropStaged(ctx, partPrefix(dir, index))
	for _, name := range []string{pc.File, metadataFile(pc)} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			e.log.Warn("recorder: remove stored spool file", "path", filepath.Join(dir, name), "err", err)
		}
	}
	return nil
}

func putFile(ctx context.Context, s blob.Store, key, path string, opts blob.PutOptions) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("recorder: upload: %w", err)
	}
	defer f.Close()
	return s.Put(ctx, key, f, opts)
}

// finishPending ends every chunk left in a spool by a process that stopped
// without Stop (a live chunk gets end reason serviceRestarted and ends at
// its file's last modification), seals them, and queues their uploads. It
// returns the chunks it sealed and their upload jobs.
func (e *Engine) finishPending(dir string, jf *journalFile) ([]callrec.Chunk, []*upload, error) {
	var out []callrec.Chunk
	var jobs []*upload
	for _, pc := range jf.snapshot().Pending {
		if pc.EndReason == "" {
			pc.EndReason = callrec.EndReasonServiceRestarted
			if st, err := os.Stat(filepath.Join(dir, pc.File)); err == nil {
				j := jf.snapshot()
				pc.EndPos = j.StartPos + int64(st.ModTime().Sub(j.StartTime)/(time.Second/callrec.SampleRate))
				pc.EndPos = max(pc.EndPos, pc.StartPos)
			}
			if err := jf.update(func(j *journal) {
				if i := pendingIndex(j, pc.Index); i >= 0 {
					j.Pending[i] = pc
				}
			}); err != nil {
				return out, jobs, err
			}
		}
		if _, err := os.Stat(filepath.Join(dir, pc.File)); os.IsNotExist(err) {
			// Crashed after removing a stored file but before the journal
			// said so: nothing left to store.
			e.log.Warn("recorder: spool chunk missing", "dir", dir, "file", pc.File)
			_ = jf.update(func(j *journal) {
				j.Pending = slices.DeleteFunc(j.Pending, func(p pendingChunk) bool { return p.Index == pc.Index })
				if pc.Sealed != nil && !slices.ContainsFunc(j.Chunks, func(c callrec.Chunk) bool { return c.Index == pc.Index }) {
					j.Chunks = append(j.Chunks, *pc.Sealed)
				}
			})
			continue
		}
		c, err := e.seal(dir, jf, pc.Index)
		if err != nil {
			return out, jobs, err
		}
		out = append(out, c)
		jobs = append(jobs, e.queueUpload(dir, jf, pc.Index))
	}
	return out, jobs, nil
}

// waitTried waits until every job's first attempt has ended, or ctx ends.
func waitTried(ctx context.Context, jobs []*upload) {
	for _, u := range jobs {
		select {
		case <-u.tried:
		case <-ctx.Done():
			return
		}
	}
}
