package recorder

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/video"
)

// Engine records calls: it implements callrec.RecordingEngine and
// callrec.ContentStore. Create it with New and release it with Close.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	spool  string
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu   sync.Mutex
	live map[string]*session

	// commitEpoch is the origin of the commit grid: every live recording
	// commits at commitEpoch + k·commitEvery (see nextCommit).
	commitEpoch time.Time
	// phases counts recordings started, whose commits take the grid's
	// phases in turn (commitPhases).
	phases atomic.Int64
	// syncs syncs what the commits wrote, one file at a time.
	syncs *syncer
	// stageSlots bounds the staged-part uploads running at once (stage.go).
	stageSlots chan struct{}

	// reserve is space given up when the disk fills (see storagefull.go).
	reserve *reserve
	// ended queues recordings that ended on their own for Ended.
	ended    *queue[callrec.RecordingEnd]
	endedOut chan callrec.RecordingEnd
	// stored queues stopped recordings whose chunks are all stored, for
	// Stored.
	stored    *queue[string]
	storedOut chan string

	// journals are the spools' journals in use (see journal); uploading
	// the chunk uploads under way, by uploadKey.
	journals  map[string]*journalFile
	uploading map[string]*upload

	owners sync.WaitGroup // session goroutines, the retention sweeper, the Ended forwarder

	metrics *metrics
}

var (
	_ callrec.RecordingEngine = (*Engine)(nil)
	_ callrec.ContentStore    = (*Engine)(nil)
)

// New creates an engine. It does not recover leftover recordings: call
// Recover once at startup.
func New(cfg Config) (*Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	spool := filepath.Join(cfg.DataDir, "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{cfg: cfg, log: cfg.Logger, spool: spool, ctx: ctx, cancel: cancel, live: map[string]*session{},
		commitEpoch: time.Now(),
		syncs:       newSyncer(),
		stageSlots:  make(chan struct{}, stageConcurrency()),
		reserve:     &reserve{path: filepath.Join(cfg.DataDir, reserveFile), size: cfg.ReserveBytes},
		ended:       newQueue[callrec.RecordingEnd](),
		endedOut:    make(chan callrec.RecordingEnd),
		stored:      newQueue[string](),
		storedOut:   make(chan string),
		journals:    map[string]*journalFile{},
		uploading:   map[string]*upload{},
	}
	e.metrics = newMetrics(cfg.Registerer, e.liveCount)
	if err := e.reserve.ensure(); err != nil {
		e.log.Warn("recorder: no space reserve; a full disk may keep recordings from ending cleanly", "err", err)
	}
	e.owners.Go(func() { forward(e.ctx, e.ended, e.endedOut) })
	e.owners.Go(func() { forward(e.ctx, e.stored, e.storedOut) })
	e.owners.Go(func() { e.syncs.run(e.ctx) })
	if cfg.Retention > 0 {
		e.owners.Go(e.retentionLoop)
	}
	return e, nil
}

// Close stops every live recording without finalizing it, as a crash would
// but with the last audio synced, and waits for the engine's goroutines. The
// next process finalizes them with Recover or Start. To end recordings
// cleanly, Stop them first.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.cancel()
	sessions := make([]*session, 0, len(e.live))
	for _, s := range e.live {
		sessions = append(sessions, s)
	}
	e.live = map[string]*session{}
	e.mu.Unlock()
	for _, s := range sessions {
		<-s.done
	}
	e.owners.Wait()
	return nil
}

func (e *Engine) spoolDir(id string) string {
	return filepath.Join(e.spool, base64.RawURLEncoding.EncodeToString([]byte(id)))
}

func notLive(id string) error {
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeRecordingNotFound, "recording %s is not being recorded", id)
}

func validateForEngine(r *callrec.Recording) error {
	if r == nil || r.ID == "" {
		return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "recording has no id")
	}
	spec := r.Spec
	mixed := spec.Channel == callrec.ChannelMixed
	switch {
	case spec.Content == callrec.ContentAudio && spec.Format == callrec.FormatWav:
	case spec.Content == callrec.ContentAudio && spec.Format == callrec.FormatMp3 && mixed:
	case spec.Content == callrec.ContentAudioVideo && spec.Format == callrec.FormatMp4 && mixed:
	case spec.Content == callrec.ContentAudioVideo && spec.Format == callrec.FormatMp4:
		return callrec.FieldErrorf("recordingChannelType", "UnsupportedRecordingFormat",
			"this server records recordingContentType audioVideo mixed only (one composite video), not %s", spec.Channel)
	default:
		return callrec.FieldErrorf("recordingFormatType", "UnsupportedRecordingFormat",
			"this server records audio as wav (mixed or unmixed) or mp3 (mixed), and audioVideo as mp4 (mixed), not %s/%s/%s",
			spec.Content, spec.Channel, spec.Format)
	}
	return nil
}

// Start implements callrec.RecordingEngine. If a spool of r survives from a
// previous process, its chunks are finalized first (serviceRestarted) and the
// recording continues with the next chunk index and the same channels.
func (e *Engine) Start(ctx context.Context, r *callrec.Recording) error {
	if err := validateForEngine(r); err != nil {
		return err
	}
	if e.cfg.Media == nil {
		return callrec.Internal(errors.New("recorder: Config.Media is nil"), "no media source")
	}
	s := &session{
		e: e, id: r.ID, dir: e.spoolDir(r.ID),
		phase: int(e.phases.Add(1) % commitPhases),
		log:   e.log.With("recording", r.ID),
		done:  make(chan struct{}),
	}
	e.mu.Lock()
	if e.ctx.Err() != nil {
		e.mu.Unlock()
		return callrec.Errorf(callrec.KindUnavailable, "EngineClosed", "the recording engine is shutting down")
	}
	if _, ok := e.live[r.ID]; ok {
		e.mu.Unlock()
		return callrec.Errorf(callrec.KindConflict, "RecordingAlreadyActive", "recording %s is already being recorded", r.ID)
	}
	e.live[r.ID] = s
	e.mu.Unlock()
	if err := e.initSession(ctx, s, r); err != nil {
		e.mu.Lock()
		delete(e.live, r.ID)
		e.mu.Unlock()
		close(s.done)
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ctx.Err() != nil {
		s.chunker.abandon()
		s.closeVideo()
		s.cancelSub()
		close(s.done)
		return callrec.Errorf(callrec.KindUnavailable, "EngineClosed", "the recording engine is shutting down")
	}
	e.owners.Go(s.run)
	e.metrics.started.Inc()
	return nil
}

func (e *Engine) initSession(ctx context.Context, s *session, r *callrec.Recording) error {
	if err := e.reserve.ensure(); err != nil {
		e.log.Warn("recorder: no space reserve; a full disk may keep recordings from ending cleanly", "err", err)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return spoolError(err, "cannot create spool")
	}
	jf, err := e.journal(s.dir)
	switch {
	case err == nil:
		// The store says the recording is live: a stop the previous
		// process began but did not commit is undone.
		if err := jf.update(func(j *journal) { j.Stopped, j.EndReason = false, "" }); err != nil {
			return spoolError(err, "cannot write the recording's journal")
		}
		_, jobs, err := e.finishPending(s.dir, jf)
		if err != nil {
			return spoolError(err, "cannot finalize the recording's previous chunk")
		}
		waitTried(ctx, jobs)
	case errors.Is(err, os.ErrNotExist):
		jf = e.newJournal(s.dir)
	default:
		return callrec.Internal(err, "cannot read the recording's journal")
	}
	s.jf = jf
	prior := jf.snapshot()
	s.chans = newChannelMap(r.Spec, e.cfg.MaxUnmixedChannels, prior.Assigned)
	s.parts, s.present = map[string]*partState{}, map[string]bool{}

	n := e.cfg.QueueFrames
	s.queue = make(chan item, n+64) // room for events beside frames
	s.ops = make(chan *op)
	s.wake = make(chan struct{}, 1)
	s.free = make(chan *frameBuf, n)
	for range n {
		s.free <- &frameBuf{samples: make([]int16, 0, callrec.FrameSamples)}
	}
	var requestKeyframe atomic.Pointer[func(string)]
	if r.Spec.Content == callrec.ContentAudioVideo {
		s.video = video.New(video.Config{Log: s.log, RequestKeyframe: func(p string) {
			if f := requestKeyframe.Load(); f != nil {
				(*f)(p)
			}
		}})
	}
	sub := e.cfg.Media.Subscribe(r.Spec.ServerCallID, s)
	if sub.RequestKeyframe != nil {
		requestKeyframe.Store(&sub.RequestKeyframe)
	}
	var once sync.Once
	s.cancelSub = func() { once.Do(sub.Cancel) }
	ok := false
	defer func() {
		if !ok {
			if s.chunker != nil {
				s.chunker.abandon()
			}
			s.closeVideo()
		}
	}()
	// The recording's wall start is the time its first position stands
	// for: pauses, stops and chunkStartTime are placed from it, and a
	// loaded machine can take tens of milliseconds between the
	// subscription and a clock reading here.
	s.startPos, s.startTime = sub.Pos, sub.At
	if s.startTime.IsZero() {
		s.startTime = e.cfg.Clock()
	}
	// Participants already in the call take their channels now, in the
	// order they joined, before any frame of theirs arrives.
	for _, p := range sub.Present {
		s.participant(p)
		if s.video != nil {
			s.video.Join(p)
			if name := sub.DisplayNames[p]; name != "" {
				s.video.SetName(p, name)
			}
		}
	}

	cf, err := formatOf(r.Spec.Format)
	if err != nil {
		s.cancelSub()
		return callrec.Internal(err, "no writer for the recording's format")
	}
	nch := s.chans.channels
	err = jf.update(func(j *journal) {
		j.Recording = *r
		j.Recording.Chunks = nil
		j.StartPos, j.StartTime, j.Channels = s.startPos, s.startTime, nch
		j.Assigned = s.chans.assignments()
		j.Pauses = nil
	})
	if err != nil {
		s.cancelSub()
		return spoolError(err, "cannot write the recording's journal")
	}
	capacity := int(e.cfg.Window / (1e9 / callrec.SampleRate))
	s.chunker = &chunker{s: s, cf: cf, channels: nch}
	s.stage.init(s, e.cfg.Clock())
	s.chunker.maxFrames, s.chunker.fullReason = e.cfg.chunkFrames(cf, nch)
	s.tl = newTimeline(s.startPos, nch, capacity, r.Spec.PauseBehavior != callrec.PauseSilence, s.chunker)
	if err := s.chunker.open(s.startPos); err != nil {
		s.cancelSub()
		return spoolError(err, "cannot create the recording's file")
	}
	for _, p := range sub.Present {
		s.present[p] = true
		if err := s.chunker.noteParticipant(p); err != nil {
			s.cancelSub()
			return spoolError(err, "cannot write the recording's journal")
		}
	}
	if r.State == callrec.StateInactive || r.Spec.PauseOnStart {
		s.tl.pauseFrom(s.startPos, s.startTime)
		s.savePauses()
	}
	ok = true
	return nil
}

func (e *Engine) session(id string) (*session, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.live[id]; s != nil {
		return s, nil
	}
	return nil, notLive(id)
}

// Pause implements callrec.RecordingEngine; pausing a paused recording does
// nothing.
func (e *Engine) Pause(ctx context.Context, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	return s.do(ctx, &op{kind: opPause, at: e.cfg.Clock()})
}

// Resume implements callrec.RecordingEngine; resuming an active recording
// does nothing.
func (e *Engine) Resume(ctx context.Context, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	return s.do(ctx, &op{kind: opResume, at: e.cfg.Clock()})
}

// Annotate sets the callrec block (RecordingSpec.Extension) of a live
// recording's metadata documents, from its next finalized chunk on.
func (e *Engine) Annotate(ctx context.Context, id string, block []byte) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	return s.jf.update(func(j *journal) { j.Recording.Spec.Extension = block })
}

// Stop implements callrec.RecordingEngine: it finalizes the current chunk
// with endReason, seals every chunk (its file final, its hash, duration and
// metadata document computed) and returns them all, in index order, once
// each upload has been tried once. When every chunk is stored, the
// recording's spool is removed; otherwise the uploads go on in the
// background, retried until they succeed (and after a restart), and the
// recording is reported on Stored when the last one is stored (see
// Unstored). Stop also ends a recording recovered from a previous process
// and not restarted.
func (e *Engine) Stop(ctx context.Context, id string, endReason string) ([]callrec.Chunk, error) {
	began, at := time.Now(), e.cfg.Clock()
	// The session stays registered until it has stopped, so that a Start
	// of the same id meanwhile is refused instead of sharing its spool.
	e.mu.Lock()
	s := e.live[id]
	e.mu.Unlock()
	if s != nil {
		defer func() {
			e.mu.Lock()
			if e.live[id] == s {
				delete(e.live, id)
			}
			e.mu.Unlock()
		}()
	}
	dir := e.spoolDir(id)
	var jf *journalFile
	if s == nil {
		var err error
		jf, err = e.journal(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil, notLive(id)
		}
		if err != nil {
			return nil, callrec.Internal(err, "cannot read the recording's journal")
		}
	} else {
		// Audio spoken just before the stop is still on its way through
		// the publishers (the media budget's Delay): keep taking frames for
		// StopGrace, then
		// end the file at the stop's position.
		grace := time.NewTimer(e.cfg.StopGrace)
		select {
		case <-grace.C:
		case <-ctx.Done():
			grace.Stop()
		}
		s.cancelSub()
		// The stop is not abandoned when ctx ends: the owner always answers.
		stopErr := s.do(context.WithoutCancel(ctx), &op{kind: opStop, at: at, reason: endReason})
		<-s.done
		if stopErr != nil {
			return nil, stopErr
		}
		s.logStats()
		jf = s.jf
	}
	if err := jf.update(func(j *journal) { j.Stopped, j.EndReason = true, endReason }); err != nil && !isNoSpace(err) {
		return nil, spoolError(err, "cannot write the recording's journal")
	}
	sealed, jobs, err := e.finishPending(dir, jf)
	if err != nil {
		return nil, spoolError(err, "cannot finalize the recording")
	}
	waitTried(ctx, jobs)
	j := jf.snapshot()
	chunks := append(j.Chunks, sealed...)
	chunks = slices.CompactFunc(sortChunks(chunks), func(a, b callrec.Chunk) bool { return a.Index == b.Index })
	switch {
	case len(j.Pending) == 0 && j.Recording.Spec.ExternalStorage != nil:
		// Kept until its export to external storage is recorded
		// (Release): a restart meanwhile exports it again.
	case len(j.Pending) == 0:
		e.removeSpool(dir)
	default:
		e.log.Warn("recorder: recording stopped with chunks not stored yet; uploads go on", "recording", id,
			"pending", len(j.Pending))
	}
	e.metrics.stoppedAfter(endReason, began)
	return chunks, nil
}

func sortChunks(chunks []callrec.Chunk) []callrec.Chunk {
	slices.SortStableFunc(chunks, func(a, b callrec.Chunk) int { return a.Index - b.Index })
	return chunks
}

// removeSpool removes a stopped recording's spool.
func (e *Engine) removeSpool(dir string) {
	e.forgetJournal(dir)
	e.dropStaged(e.ctx, stageDir(dir))
	if err := os.RemoveAll(dir); err != nil {
		e.log.Warn("recorder: remove spool", "dir", dir, "err", err)
	}
}

// Stats returns the drop counters of a live recording.
func (e *Engine) Stats(id string) (Stats, error) {
	s, err := e.session(id)
	if err != nil {
		return Stats{}, err
	}
	return s.stats(), nil
}

// Flush waits until the recording's owner has handled everything queued so
// far (frames, events, ops). Useful in tests and before reading Stats.
func (e *Engine) Flush(ctx context.Context, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	return s.do(ctx, &op{kind: opSync})
}

// commitPhases is how many phases the commit grid has: recordings take
// them in turn, so that a fraction of them commits at each phase.
const commitPhases = 4

// untilNextCommit is the time from now to the next point of the engine's
// commit grid in phase (0 ≤ phase < commitPhases). Recordings commit in
// step, so that the process wakes a few times per commit period for all of
// them instead of once per recording at scattered times (each wake-up of an
// idle process costs more than the commit it runs); the phases spread the
// burst of commits, which would otherwise hold both processors at once.
func (e *Engine) untilNextCommit(phase int) time.Duration {
	period := e.cfg.commitEvery()
	offset := period * time.Duration(phase) / commitPhases
	return period - (time.Since(e.commitEpoch)-offset+period)%period
}

// MaxUnmixedChannels is the channel count of unmixed recordings.
func (e *Engine) MaxUnmixedChannels() int { return e.cfg.MaxUnmixedChannels }
