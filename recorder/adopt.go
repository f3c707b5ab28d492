package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/internal/atomicfile"
)

// Adopt rebuilds in this engine's spool, from the store alone, a recording
// that another process was writing and will not finish (its node lost):
// the journal copy and the staged parts of its unfinished chunks (see
// stage.go). Each unfinished chunk becomes the concatenation of its parts,
// ending with reason endReason where its last part ended (when that part
// had been written, on the call clock); Stop then repairs it as it repairs a
// crashed file (a WAV's sizes; an MP3 cut after its last whole frame; an
// MP4 cut after its last whole fragment), computes its metadata and uploads
// it, as for a recording recovered after a restart. A chunk with no part
// stored is left out.
//
// Adopt returns a NotFound error when the store holds no journal copy of
// the recording (parts disabled, or none uploaded yet), and does nothing
// when this engine holds the recording already. The caller must be the
// only one adopting the recording (the node that took its call over, in
// the database's one transaction).
func (e *Engine) Adopt(ctx context.Context, id, endReason string) error {
	if _, err := e.session(id); err == nil {
		return nil
	}
	dir := e.spoolDir(id)
	if _, err := os.Stat(dir); err == nil {
		return nil // ours already (recovered, or adopted before)
	}
	stage := stageDir(dir)
	o, err := e.cfg.Blob.Open(ctx, stage+journalName)
	if blob.IsNotFound(err) {
		return notLive(id)
	}
	if err != nil {
		return callrec.Unavailable(err, "cannot read the staged journal of recording "+id)
	}
	var j journal
	err = json.NewDecoder(o).Decode(&j)
	o.Close()
	if err != nil {
		return callrec.Internal(err, "staged journal of recording "+id)
	}
	if j.Recording.ID != id {
		return callrec.Internal(fmt.Errorf("journal of %q", j.Recording.ID), "staged journal of recording "+id)
	}
	parts := map[int][]blob.Attributes{}
	if err := e.cfg.Blob.List(ctx, stage+"chunk-", func(a blob.Attributes) error {
		idx, ok := partIndex(a.Key, stage)
		if ok {
			parts[idx] = append(parts[idx], a)
		}
		return nil
	}); err != nil {
		return callrec.Unavailable(err, "cannot list the staged parts of recording "+id)
	}
	tmp := dir + ".adopt"
	if err := os.RemoveAll(tmp); err != nil {
		return spoolError(err, "cannot prepare the spool")
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return spoolError(err, "cannot prepare the spool")
	}
	defer os.RemoveAll(tmp)
	var pending []pendingChunk
	for _, pc := range j.Pending {
		ps := parts[pc.Index]
		if len(ps) == 0 {
			e.log.Warn("recorder: adopted chunk has no staged part; left out", "recording", id, "index", pc.Index)
			continue
		}
		last, err := e.assemble(ctx, tmp+"/"+pc.File, ps)
		if err != nil {
			return err
		}
		if pc.EndReason == "" {
			pc.EndReason = endReason
			pc.EndPos = max(pc.StartPos, j.StartPos+int64(last.Sub(j.StartTime)/(time.Second/callrec.SampleRate)))
		}
		pc.Sealed = nil // the parts may hold less than the sealed file did
		pending = append(pending, pc)
	}
	j.Pending = pending
	b, err := json.MarshalIndent(&j, "", "  ")
	if err != nil {
		return callrec.Internal(err, "journal")
	}
	if err := atomicfile.Write(tmp+"/"+journalName, b, 0o600); err != nil {
		return spoolError(err, "cannot write the adopted journal")
	}
	if err := os.Rename(tmp, dir); err != nil {
		return spoolError(err, "cannot place the adopted spool")
	}
	e.log.Warn("recorder: adopted a lost node's recording from its staged parts", "recording", id,
		"chunks", len(j.Chunks), "unfinished", len(pending))
	return nil
}

// assemble writes parts (of one chunk, in any order) end to end into path,
// checking that each starts where the previous one ended, and returns when
// the last one's bytes had been written (its upload time for a part that
// does not say).
func (e *Engine) assemble(ctx context.Context, path string, parts []blob.Attributes) (time.Time, error) {
	sort.Slice(parts, func(i, k int) bool { return parts[i].Key < parts[k].Key })
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return time.Time{}, spoolError(err, "cannot write an adopted chunk")
	}
	defer f.Close()
	var at int64
	var last time.Time
	for _, p := range parts {
		if off, err := strconv.ParseInt(p.Metadata[metaOffset], 10, 64); err != nil || off != at {
			// A gap (a part lost): what follows cannot be placed.
			e.log.Warn("recorder: staged part out of place; the chunk ends before it", "key", p.Key,
				"offset", p.Metadata[metaOffset], "want", at)
			break
		}
		o, err := e.cfg.Blob.Open(ctx, p.Key)
		if err != nil {
			return time.Time{}, callrec.Unavailable(err, "cannot read staged part "+p.Key)
		}
		n, err := io.Copy(f, o)
		o.Close()
		if err != nil {
			return time.Time{}, callrec.Unavailable(err, "cannot read staged part "+p.Key)
		}
		at += n
		last = p.ModTime
		if w, err := time.Parse(timeFormat, p.Metadata[metaWritten]); err == nil {
			last = w
		}
	}
	if err := f.Sync(); err != nil {
		return time.Time{}, spoolError(err, "cannot write an adopted chunk")
	}
	return last, nil
}

// partIndex returns the chunk index of a part key under stage.
func partIndex(key, stage string) (int, bool) {
	rest, ok := strings.CutPrefix(key, stage+"chunk-")
	if !ok {
		return 0, false
	}
	idx, _, ok := strings.Cut(rest, ".part-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(idx)
	return n, err == nil
}
