package recorder

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// liveChunk is the chunk being written.
type liveChunk struct {
	pc      pendingChunk
	file    *spoolFile
	w       chunkWriter
	inChunk map[string]bool
}

// chunker is the timeline's sink: it writes the current chunk's file (WAV or
// MP3) in the spool and rolls over to a new chunk at the size or duration
// limit. It is owned by the session's goroutine.
type chunker struct {
	s          *session
	cf         chunkFormat
	channels   int
	maxFrames  int64
	fullReason string
	cur        *liveChunk
}

// open starts chunk number NextIndex at call-clock position pos.
func (c *chunker) open(pos int64) error {
	var pc pendingChunk
	err := c.s.jf.update(func(j *journal) {
		pc = pendingChunk{
			Index:      j.NextIndex,
			DocumentID: newDocumentID(c.s.e.cfg.Region),
			File:       fmt.Sprintf("chunk-%d.%s", j.NextIndex, c.cf.ext),
			StartPos:   pos,
			StartTime:  posTime(j, pos),
		}
		j.NextIndex++
		j.Pending = append(j.Pending, pc)
	})
	if err != nil {
		return err
	}
	path := filepath.Join(c.s.dir, pc.File)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		c.forget(pc.Index)
		return fmt.Errorf("recorder: open chunk: %w", err)
	}
	sf := &spoolFile{File: f}
	w, err := c.cf.create(sf, c)
	if err == nil {
		if err = w.Sync(); err != nil {
			abandon(w)
		}
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		c.forget(pc.Index)
		return err
	}
	c.cur = &liveChunk{pc: pc, file: sf, w: w, inChunk: map[string]bool{}}
	return nil
}

// forget drops a chunk that could not be created from the journal (in
// memory at least: saving may fail for the reason the chunk did).
func (c *chunker) forget(index int) {
	_ = c.s.jf.update(func(j *journal) {
		j.Pending = slices.DeleteFunc(j.Pending, func(p pendingChunk) bool { return p.Index == index })
	})
}

// noteParticipant lists p among the current chunk's participants.
func (c *chunker) noteParticipant(p string) error {
	if c.cur.inChunk[p] {
		return nil
	}
	c.cur.inChunk[p] = true
	c.cur.pc.Participants = append(c.cur.pc.Participants, p)
	idx, parts := c.cur.pc.Index, append([]string(nil), c.cur.pc.Participants...)
	return c.s.jf.update(func(j *journal) {
		for i := range j.Pending {
			if j.Pending[i].Index == idx {
				j.Pending[i].Participants = parts
			}
		}
	})
}

func (c *chunker) room(pos int64) (int64, error) {
	if c.cur.w.Frames() >= c.maxFrames {
		if err := c.finish(pos, c.fullReason); err != nil {
			return 0, err
		}
		if err := c.open(pos); err != nil {
			return 0, err
		}
		// Whoever is present carries over, in assignment order.
		for _, a := range c.s.chans.list {
			if c.s.present[a.Participant] {
				if err := c.noteParticipant(a.Participant); err != nil {
					return 0, err
				}
			}
		}
	}
	return c.maxFrames - c.cur.w.Frames(), nil
}

func (c *chunker) write(pos int64, interleaved []int16, frames int) error {
	nch := c.channels
	for frames > 0 {
		room, err := c.room(pos)
		if err != nil {
			return err
		}
		k := int(min(int64(frames), room))
		if p, ok := c.cur.w.(positioned); ok {
			p.at(pos)
		}
		if err := c.cur.w.Write(interleaved[:k*nch]); err != nil {
			return err
		}
		c.s.e.metrics.wrote(int64(k * nch * 2))
		interleaved, frames, pos = interleaved[k*nch:], frames-k, pos+int64(k)
	}
	return nil
}

func (c *chunker) silence(pos int64, frames int64) error {
	for frames > 0 {
		room, err := c.room(pos)
		if err != nil {
			return err
		}
		k := min(frames, room)
		if p, ok := c.cur.w.(positioned); ok {
			p.at(pos)
		}
		if err := c.cur.w.WriteSilence(k); err != nil {
			return err
		}
		c.s.e.metrics.wrote(k * int64(c.channels) * 2)
		frames, pos = frames-k, pos+k
	}
	return nil
}

// sync makes the current chunk durable.
func (c *chunker) sync() error { return c.cur.w.Sync() }

// commitSync flushes what the current chunk's writer buffers and leaves
// the file's sync to the engine's syncer.
func (c *chunker) commitSync() error {
	f := c.cur.file
	f.deferSync = true
	err := c.cur.w.Sync()
	f.deferSync = false
	if err == nil {
		c.s.e.syncs.add(c.s, f.File)
	}
	return err
}

// abandon leaves the current chunk unfinalized in the spool (the engine is
// closing; the next process recovers it) and releases its writer and file.
func (c *chunker) abandon() {
	if c.cur == nil {
		return
	}
	abandon(c.cur.w)
	c.cur.file.Close()
	c.cur = nil
}

// finish finalizes the current chunk at call-clock position end and hands it
// to the session's uploads.
func (c *chunker) finish(end int64, reason string) error {
	cur := c.cur
	// On failure the chunk stays current, for the session to end it.
	if err := cur.w.Finalize(); err != nil {
		if !isNoSpace(err) {
			c.cur = nil
			cur.file.Close()
		}
		return err
	}
	c.cur = nil
	if err := cur.file.Close(); err != nil {
		return fmt.Errorf("recorder: close chunk: %w", err)
	}
	pc := cur.pc
	pc.EndPos, pc.EndReason = end, reason
	err := c.s.jf.update(func(j *journal) {
		for i := range j.Pending {
			if j.Pending[i].Index == pc.Index {
				j.Pending[i] = pc
			}
		}
	})
	if err != nil {
		return err
	}
	c.s.publishAsync(pc)
	return nil
}
