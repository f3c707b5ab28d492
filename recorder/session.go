package recorder

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/video"
)

// Stats counts what a recording dropped. All counts are since Start.
type Stats struct {
	Frames           int64 // frames received
	QueueDropped     int64 // frames dropped because the owner fell behind
	LateSamples      int64 // samples for positions already committed
	DuplicateSamples int64 // samples a participant had already sent
	FutureSamples    int64 // samples more than Window ahead of the call clock
}

type frameBuf struct {
	participant string
	pos         int64
	samples     []int16
}

type opKind int

const (
	opPause opKind = iota
	opResume
	opStop
	opSync
)

type op struct {
	kind   opKind
	at     time.Time
	reason string
	reply  chan error
}

// item is one thing for the owner goroutine, in arrival order.
type item struct {
	frame *frameBuf
	op    *op
	event callrec.ParticipantEvent
}

type partState struct {
	channel int
	next    int64 // position after the last sample received
}

// session is one live recording. Its fields below "owned" are touched only
// by the run goroutine.
type session struct {
	e     *Engine
	id    string
	dir   string
	jf    *journalFile
	log   *slog.Logger
	queue chan item     // frames and participant events, in arrival order
	ops   chan *op      // pause, resume, stop, sync: handled at once
	wake  chan struct{} // the queue is filling up: drain before the tick
	free  chan *frameBuf
	done  chan struct{}
	// cancelSub ends the media subscription.
	cancelSub func()
	// video composites the call for audioVideo recordings (nil for audio).
	// Video frames reach it straight from the publishers; audio levels,
	// joins and leaves from run.
	video *video.Compositor

	frames, queueDropped, late, dup, future atomic.Int64

	// phase is the session's phase of the engine's commit grid.
	phase int
	// syncErr is the first error of the engine's syncer on this
	// session's file, taken at the next commit.
	syncMu  sync.Mutex
	syncErr error

	// owned by run
	startPos  int64
	startTime time.Time
	tl        *timeline
	chans     *channelMap
	parts     map[string]*partState
	present   map[string]bool
	chunker   *chunker
	stage     stager
	err       error // first write error; writing stops after it
}

// OnFrame implements callrec.MediaSubscriber. It copies the frame into a
// free buffer and queues it, never blocking and never allocating.
func (s *session) OnFrame(f callrec.Frame) {
	var b *frameBuf
	select {
	case b = <-s.free:
	default:
		s.queueDropped.Add(1)
		s.e.metrics.droppedFrames.Inc()
		return
	}
	b.participant, b.pos = f.Participant, f.Pos
	b.samples = append(b.samples[:0], f.Samples...)
	select {
	case s.queue <- item{frame: b}:
	default:
		s.free <- b
		s.queueDropped.Add(1)
		s.e.metrics.droppedFrames.Inc()
		return
	}
	// Frames wait for the owner's commit tick, so that the owner wakes a few
	// times a second rather than for every frame; it is woken early only when
	// the queue is half full.
	if len(s.queue) > cap(s.queue)/2 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// OnVideoFrame implements callrec.VideoSubscriber: the compositor queues
// the picture for the participant's decoder, without blocking. An audio
// recording takes no video.
func (s *session) OnVideoFrame(f callrec.VideoFrame) {
	if s.video != nil {
		s.video.Video(f.Participant, f.Pos, video.Codec(f.Codec), f.Keyframe, f.Data)
	}
}

// OnParticipantEvent implements callrec.MediaSubscriber.
func (s *session) OnParticipantEvent(ev callrec.ParticipantEvent) {
	select {
	case s.queue <- item{event: ev}:
	default:
		s.log.Warn("recorder: participant event dropped, queue full", "participant", ev.Participant, "kind", ev.Kind)
	}
}

// do sends an op to the owner and waits for its answer.
func (s *session) do(ctx context.Context, o *op) error {
	o.reply = make(chan error, 1)
	select {
	case s.ops <- o:
	case <-s.done:
		return callrec.Errorf(callrec.KindNotFound, callrec.CodeRecordingNotFound, "recording %s is not live", s.id)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-o.reply:
		return err
	case <-s.done:
		// The owner replies before it exits: a stop's answer may be
		// waiting beside the closed done.
		select {
		case err := <-o.reply:
			return err
		default:
		}
		return callrec.Errorf(callrec.KindNotFound, callrec.CodeRecordingNotFound, "recording %s is not live", s.id)
	}
}

func (s *session) posAt(t time.Time) int64 {
	return s.startPos + int64(t.Sub(s.startTime)/(time.Second/callrec.SampleRate))
}

// run is the owner goroutine. It exits on stop, or when the engine closes
// (leaving the spool for recovery). Queued frames and events are handled
// in batches: before each commit, before each op, and when the queue is
// half full.
func (s *session) run() {
	defer close(s.done)
	defer s.closeVideo()
	tick := time.NewTimer(s.e.untilNextCommit(s.phase))
	defer tick.Stop()
	lateness := int64(s.e.cfg.Lateness / (time.Second / callrec.SampleRate))
	for {
		select {
		case o := <-s.ops:
			s.drain()
			if s.handle(item{op: o}) {
				return
			}
		case <-s.wake:
			s.drain()
		case <-tick.C:
			// Everything queued before now arrived before now: handle it
			// first, so that the commit never passes frames that arrived in
			// time.
			now := s.e.cfg.Clock()
			s.drain()
			s.check(s.takeSyncErr())
			if s.err == nil {
				s.check(s.tl.commit(s.posAt(now) - lateness))
			}
			if s.err == nil {
				// Written now; synced by the engine's syncer, off this
				// goroutine (syncer.go).
				s.check(s.chunker.commitSync())
			}
			if s.err == nil {
				s.stage.maybe(now)
			}
			tick.Reset(s.e.untilNextCommit(s.phase))
		case <-s.e.ctx.Done():
			s.drain()
			if s.err == nil {
				s.check(s.chunker.sync())
			}
			s.chunker.abandon()
			s.cancelSub()
			return
		}
	}
}

// setSyncErr keeps the first error of a sync of the session's file.
func (s *session) setSyncErr(err error) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.syncErr == nil {
		s.syncErr = err
	}
}

// takeSyncErr returns and forgets the syncer's error, if any.
func (s *session) takeSyncErr() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	err := s.syncErr
	s.syncErr = nil
	return err
}

// closeVideo stops the compositor's decoders, once the media subscription
// that feeds them has ended.
func (s *session) closeVideo() {
	if s.video != nil {
		s.cancelSub()
		s.video.Close()
	}
}

// drain handles what is queued now.
func (s *session) drain() {
	for range len(s.queue) {
		s.handle(<-s.queue)
	}
}

// handle processes one queued item and reports whether the recording stopped.
func (s *session) handle(it item) (stopped bool) {
	switch {
	case it.frame != nil:
		s.onFrame(it.frame)
		s.free <- it.frame
	case it.op != nil:
		err := s.onOp(it.op)
		it.op.reply <- err
		return it.op.kind == opStop
	default:
		s.onEvent(it.event)
	}
	return false
}

// check keeps the first error; after it the recording writes nothing more.
// A full disk ends the recording (see storagefull.go).
func (s *session) check(err error) {
	if err == nil || s.err != nil {
		return
	}
	if isNoSpace(err) {
		s.err = storageFull(err)
		s.endOnFullDisk(err)
		return
	}
	s.err = err
	s.log.Error("recorder: writing stopped", "err", err)
}

// endOnFullDisk ends the recording where its disk filled up: it gives up the
// space reserve, ends the chunk being written with what reached the disk
// (end reason storageFull), publishes it, and reports the recording on the
// engine's Ended.
func (s *session) endOnFullDisk(cause error) {
	released := s.e.reserve.release()
	s.log.Error("recorder: the disk is full; the recording ends here", "err", cause, "reserveReleased", released)
	s.cancelSub()
	if cur := s.chunker.cur; cur != nil {
		s.chunker.cur = nil
		// What the writer still buffers cannot be written; the file's
		// samples on disk are made a valid WAV when it is published.
		cur.file.Close()
		pc := cur.pc
		pc.EndPos, pc.EndReason = max(s.tl.base, pc.StartPos), callrec.EndReasonStorageFull
		if err := s.jf.update(func(j *journal) {
			for i := range j.Pending {
				if j.Pending[i].Index == pc.Index {
					j.Pending[i] = pc
				}
			}
		}); err != nil {
			// The journal in memory has the end; the file gets it when
			// there is room (the next update), or a restart ends the chunk
			// as serviceRestarted.
			s.log.Warn("recorder: saving the journal on a full disk", "err", err)
		}
		s.publishAsync(pc)
	}
	s.e.ended.push(callrec.RecordingEnd{RecordingID: s.id, Reason: callrec.EndReasonStorageFull})
}

// fullDisk reports whether the recording ended on a full disk.
func (s *session) fullDisk() bool { return callrec.KindOf(s.err) == callrec.KindStorageFull }

func (s *session) participant(p string) *partState {
	ps := s.parts[p]
	if ps != nil {
		return ps
	}
	ch, _ := s.chans.channel(p)
	ps = &partState{channel: ch, next: -1 << 62}
	s.parts[p] = ps
	assigned := s.chans.assignments()
	s.check(s.jf.update(func(j *journal) { j.Assigned = assigned }))
	return ps
}

func (s *session) onFrame(b *frameBuf) {
	s.frames.Add(1)
	if s.err != nil {
		return
	}
	ps := s.participant(b.participant)
	if s.video != nil {
		s.video.Audio(b.participant, b.samples)
	}
	if !s.present[b.participant] {
		s.present[b.participant] = true
		s.check(s.chunker.noteParticipant(b.participant))
	}
	pos, samples := b.pos, b.samples
	if pos > s.posAt(s.e.cfg.Clock())+int64(s.tl.capacity) {
		// A position this far ahead of the clock is a broken sender: taking
		// it would commit (and write) up to Window of silence at a time.
		s.future.Add(int64(len(samples)))
		return
	}
	if pos < ps.next {
		d := ps.next - pos
		if d >= int64(len(samples)) {
			s.dup.Add(int64(len(samples)))
			return
		}
		s.dup.Add(d)
		pos, samples = ps.next, samples[d:]
	}
	ps.next = pos + int64(len(samples))
	late, err := s.tl.add(ps.channel, pos, samples)
	if late > 0 {
		s.late.Add(int64(late))
		s.e.metrics.lateSamples.Add(float64(late))
	}
	s.check(err)
}

func (s *session) onEvent(ev callrec.ParticipantEvent) {
	if s.err != nil {
		return
	}
	switch ev.Kind {
	case callrec.ParticipantJoined:
		s.participant(ev.Participant)
		if s.video != nil {
			s.video.Join(ev.Participant)
			if ev.DisplayName != "" {
				s.video.SetName(ev.Participant, ev.DisplayName)
			}
		}
		if !s.present[ev.Participant] {
			s.present[ev.Participant] = true
			s.check(s.chunker.noteParticipant(ev.Participant))
		}
	case callrec.ParticipantLeft:
		delete(s.present, ev.Participant)
		if s.video != nil {
			s.video.Leave(ev.Participant)
		}
	}
}

func (s *session) onOp(o *op) error {
	switch o.kind {
	case opSync:
	case opPause:
		if s.err == nil {
			s.tl.pauseFrom(s.posAt(o.at), o.at)
			s.savePauses()
		}
	case opResume:
		if s.err == nil {
			s.tl.resumeAt(s.posAt(o.at), o.at)
			s.savePauses()
		}
	case opStop:
		s.cancelSub()
		if s.err == nil {
			end := max(s.posAt(o.at), s.tl.base)
			s.check(s.tl.commit(end))
			if s.err == nil {
				s.check(s.chunker.finish(end, o.reason))
			}
		}
		if s.fullDisk() {
			return nil // ended already, with what was written
		}
	}
	if s.fullDisk() {
		return s.err
	}
	if s.err != nil {
		return callrec.Internal(s.err, "recording failed to write")
	}
	return nil
}

func (s *session) savePauses() {
	pauses := append([]pause(nil), s.tl.pauses...)
	s.check(s.jf.update(func(j *journal) { j.Pauses = pauses }))
}

// publishAsync seals and uploads a finalized chunk without holding up the
// timeline.
func (s *session) publishAsync(pc pendingChunk) { s.e.queueUpload(s.dir, s.jf, pc.Index) }

// logStats reports, when the recording stops, the audio it could not
// place: frames dropped because the owner fell behind, and samples that
// came after their position was committed. Either is a gap in the file.
func (s *session) logStats() {
	st := s.stats()
	level := slog.LevelDebug
	if st.QueueDropped+st.LateSamples+st.FutureSamples > 0 {
		level = slog.LevelWarn
	}
	s.log.Log(s.e.ctx, level, "recorder: audio not placed in the recording", "frames", st.Frames,
		"queueDroppedFrames", st.QueueDropped, "lateSamples", st.LateSamples,
		"duplicateSamples", st.DuplicateSamples, "futureSamples", st.FutureSamples)
}

func (s *session) stats() Stats {
	return Stats{Frames: s.frames.Load(), QueueDropped: s.queueDropped.Load(), LateSamples: s.late.Load(),
		DuplicateSamples: s.dup.Load(), FutureSamples: s.future.Load()}
}
