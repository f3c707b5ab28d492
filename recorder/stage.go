package recorder

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/callrec/callrec/blob"
)

// Staged parts: while a chunk is being written, every
// Config.UploadInterval its session uploads the bytes written since the last
// time as one part, so that the store holds all but the last interval of a
// recording even if its node never comes back. Parts are objects
//
//	spool/<spool dir name>/chunk-<index>.part-<seq, 6 digits>
//
// (the spool dir name is the recording id in unpadded base64url) with
// metadata "offset" (the part's first byte in the chunk file), beside a
// copy of the journal, spool/<spool dir name>/journal.json, uploaded with
// every part. Concatenated in seq order they are a prefix of the chunk's
// file; its header is repaired like a crashed file's (wav.Repair,
// mp3.Repair), so another node can finalize the chunk from the store alone.
// A chunk's parts are deleted once the chunk itself is stored; the journal
// copy when the recording's spool is removed.
const stagePrefix = "spool/"

// The metadata of a staged part: its first byte in the chunk file, and when
// its last byte had been written (RFC 3339, the engine's clock).
const (
	metaOffset  = "offset"
	metaWritten = "written"
)

func stageDir(dir string) string { return stagePrefix + filepath.Base(dir) + "/" }

// PartKey is the store key of part seq of chunk index of a recording's
// spool dir (see the staged parts above).
func partKey(dir string, index, seq int) string {
	return fmt.Sprintf("%schunk-%d.part-%06d", stageDir(dir), index, seq)
}

func partPrefix(dir string, index int) string {
	return stageDir(dir) + "chunk-" + strconv.Itoa(index) + ".part-"
}

// stager uploads a session's live chunk in parts. The owner goroutine calls
// maybe at each commit; one part upload at a time runs on a goroutine owned
// by the engine.
type stager struct {
	s *session

	mu     sync.Mutex
	busy   bool
	index  int   // chunk being staged
	offset int64 // its bytes stored as parts
	seq    int   // its next part
	last   time.Time
}

// init readies session s's stager. Its first part is due at a point
// of the first interval that the recording's id picks (stageOffset), so
// that recordings started together (a shift's first calls, a benchmark's)
// stage at different moments rather than all in the same commit.
func (st *stager) init(s *session, now time.Time) {
	st.s, st.index, st.last = s, -1, now.Add(-stageOffset(s.id, s.e.cfg.UploadInterval))
}

// stageOffset is where in an interval of length every the recording id
// stages: a hash of the id, spread evenly over [0, every).
func stageOffset(id string, every time.Duration) time.Duration {
	if every <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(every))
}

// stageConcurrency is how many staged-part uploads run at once, engine-wide:
// half the processors, and at least 4 so that a remote store's latency
// (a PUT of ~1 MB every interval per recording) does not queue them past
// the interval. A part of the local store costs a copy and an MD5 of its
// bytes (fileblob's attributes); run all at once (every recording of a
// benchmark, started in the same second, staged in the same commit: 42 at
// once at 60 × 3) they took every processor from the media for a second
// or more. Spread over the interval (stageOffset), they rarely overlap.
func stageConcurrency() int { return max(4, runtime.GOMAXPROCS(0)/2) }

// maybe starts the upload of the live chunk's new bytes when the interval
// has passed since the last one and none is running.
func (st *stager) maybe(now time.Time) {
	e := st.s.e
	if e.cfg.UploadInterval <= 0 || st.s.chunker.cur == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.busy || now.Sub(st.last) < e.cfg.UploadInterval {
		return
	}
	cur := st.s.chunker.cur
	if cur.pc.Index != st.index {
		st.index, st.offset, st.seq = cur.pc.Index, 0, 0
	}
	info, err := cur.file.Stat()
	if err != nil || info.Size() <= st.offset {
		st.last = now
		return
	}
	st.busy, st.last = true, now
	dir, jf := st.s.dir, st.s.jf
	index, from, to, seq := st.index, st.offset, info.Size(), st.seq
	path := filepath.Join(dir, cur.pc.File)
	written := e.cfg.Clock()
	e.owners.Go(func() {
		err := e.ctx.Err()
		select {
		case e.stageSlots <- struct{}{}:
			err = e.stagePart(e.ctx, dir, jf, path, index, seq, from, to, written)
			<-e.stageSlots
		case <-e.ctx.Done():
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		st.busy = false
		if err != nil {
			if e.ctx.Err() == nil {
				e.log.Warn("recorder: staging a part of the live chunk failed; the next interval tries again",
					"dir", dir, "index", index, "err", err)
			}
			return
		}
		if st.index == index {
			st.offset, st.seq = to, seq+1
		}
	})
}

// stagePart uploads bytes [from, to) of a live chunk's file, written by
// the time written (the engine's clock), as part seq, then the journal's
// copy.
func (e *Engine) stagePart(ctx context.Context, dir string, jf *journalFile, path string, index, seq int, from, to int64, written time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = e.cfg.Blob.Put(ctx, partKey(dir, index, seq), io.NewSectionReader(f, from, to-from), blob.PutOptions{
		ContentType: "application/octet-stream",
		Metadata:    map[string]string{metaOffset: strconv.FormatInt(from, 10), metaWritten: formatTime(written)},
	})
	if err != nil {
		return err
	}
	jb, err := os.ReadFile(jf.path)
	if err != nil {
		return err
	}
	return e.cfg.Blob.Put(ctx, stageDir(dir)+journalName, bytes.NewReader(jb), blob.PutOptions{ContentType: contentTypeJSON})
}

// dropStaged deletes the store's objects under prefix (staged parts of a
// stored chunk, or all of a removed spool's).
func (e *Engine) dropStaged(ctx context.Context, prefix string) {
	if e.cfg.UploadInterval <= 0 {
		return
	}
	var keys []string
	if err := e.cfg.Blob.List(ctx, prefix, func(a blob.Attributes) error {
		keys = append(keys, a.Key)
		return nil
	}); err != nil {
		e.log.Warn("recorder: listing staged parts", "prefix", prefix, "err", err)
		return
	}
	for _, k := range keys {
		if err := e.cfg.Blob.Delete(ctx, k); err != nil && !blob.IsNotFound(err) {
			e.log.Warn("recorder: deleting a staged part", "key", k, "err", err)
		}
	}
}
