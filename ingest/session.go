package ingest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

const (
	// nackEvery is how many ticks pass between NACKs of the same missing
	// packets: every 40 ms, about three times within the reorder window, so
	// a retransmission can still make it.
	nackEvery = 2
	// decodeEvery is how many ticks pass between releases of the reorder
	// buffer to the decoder: a participant's packets are decoded in bursts
	// every 60 ms, which costs less CPU per packet than decoding each as it
	// comes (docs/BENCHMARKS.md). A recorder can afford the delay.
	// Participants take the three phases in turn (Server.decodePhase), so
	// that a worker decodes a third of its participants at each tick rather
	// than all of them every third tick, which would hold its next socket
	// read back by the whole burst.
	decodeEvery = 3
	// decodeDelay is the longest a packet in sequence waits to be decoded.
	decodeDelay = decodeEvery * rtcrecv.TickInterval
)

// session is one WHIP resource: one participant's media peer, its
// pipeline and its callmedia.Participant. Once started, the pipeline is
// driven by the peer's worker goroutine (the session is its
// rtcrecv.Handler), so every frame and every event after the join (muted,
// unmuted, left) comes from there, in order. The session is the
// participant's callmedia.Leg.
type session struct {
	id     string
	rawID  string
	name   string // display name (displayName), "" without one
	callID string
	server *Server
	peer   *rtcrecv.Peer
	log    *slog.Logger
	part   *callmedia.Participant

	// Owned by the peer's worker once started.
	p        *pipeline
	ticks    int
	nackSeqs []uint16
	video    *videoTrack // nil when the publisher sends no video
	keyAsked int         // tick of the last keyframe request

	keyWanted atomic.Bool // a keyframe was asked for (RequestKeyframe)

	stopOnce sync.Once
	done     chan struct{} // closed when the leave is emitted and recorded

	reasonMu sync.Mutex
	reason   string // why the session ended; the first reason given wins
}

var (
	_ rtcrecv.Handler             = (*session)(nil)
	_ rtcrecv.VideoHandler        = (*session)(nil)
	_ callmedia.Leg               = (*session)(nil)
	_ callmedia.KeyframeRequester = (*session)(nil)
)

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newSession(srv *Server, callID, rawID string) *session {
	id := newSessionID()
	return &session{
		ticks:  int(srv.decodePhase.Add(1) % decodeEvery),
		id:     id,
		rawID:  rawID,
		callID: callID,
		server: srv,
		log:    srv.log.With("call", callID, "participant", rawID, "session", id),
		done:   make(chan struct{}),
	}
}

// newPipeline builds the session's pipeline; its frames and mute changes
// go to the participant, attached later (before the peer starts).
func (s *session) newPipeline() error {
	dec, err := audio.NewOpusDecoder()
	if err != nil {
		return callrec.Internal(err, "could not create an Opus decoder")
	}
	s.p = newPipeline(dec, s.server.latency, s.server.metrics,
		func(pos int64, samples []int16) { s.part.Push(pos, samples) },
		func(muted bool, pos int64) { s.part.SetMuted(muted, pos) })
	return nil
}

// start hands the peer's media to the attached session. The pipeline's
// first frame comes no earlier than the participant's previous leg ended.
func (s *session) start(part *callmedia.Participant) {
	s.part = part
	s.p.fr.SetFloor(part.Floor())
	if codec := s.peer.VideoCodec(); codec != "" {
		s.video = newVideoTrack(codec, part.Floor(), part.PushVideo, s.RequestKeyframe)
	}
	s.peer.Start(s)
}

// OnVideoRTP implements rtcrecv.VideoHandler: one video packet into the
// participant's video track.
func (s *session) OnVideoRTP(pkt *rtp.Packet, arrival time.Time) {
	if s.video != nil {
		s.video.insert(pkt, s.part.Clock().Position(arrival))
	}
}

// RequestKeyframe implements callmedia.KeyframeRequester: the next tick
// asks the publisher for a keyframe, unless one was asked for less than
// keyframeInterval ago (then the tick after that does).
func (s *session) RequestKeyframe() { s.keyWanted.Store(true) }

// askKeyframe sends the keyframe request wanted, paced (on the worker).
func (s *session) askKeyframe() {
	if s.video == nil || s.video.stats.Packets == 0 || s.ticks-s.keyAsked < keyframeInterval || !s.keyWanted.Swap(false) {
		return
	}
	s.keyAsked = s.ticks
	s.video.stats.Requests++
	s.peer.SendKeyframeRequest()
}

// OnRTP implements rtcrecv.Handler: one audio packet into the pipeline,
// which keeps a copy of the payload (the packet is the worker's).
func (s *session) OnRTP(pkt *rtp.Packet, arrival time.Time) {
	s.p.insert(pkt, s.part.Clock().Position(arrival))
}

// OnTick implements rtcrecv.Handler: every decodeEvery ticks, time passes
// for the pipeline (buffered packets are decoded, silence fills pauses);
// a keyframe asked for is requested (paced); every nackEvery ticks,
// missing packets are NACKed if the publisher offered NACK.
func (s *session) OnTick(now time.Time) {
	s.ticks++
	if s.ticks%decodeEvery == 0 {
		s.p.tick(s.part.Clock().Position(now))
	}
	if s.video != nil {
		s.video.tick(s.part.Clock().Position(now))
		s.askKeyframe()
	}
	if s.ticks%nackEvery == 0 && s.peer.NACKEnabled() {
		s.nackSeqs = s.p.missing(s.nackSeqs[:0])
		s.peer.SendNACK(s.nackSeqs)
	}
}

// OnClose implements rtcrecv.Handler: the participant's stream is over.
// The pipeline is flushed and the leave emitted here, in order after the
// last frame; recording the leave (a database write) happens off the
// worker.
func (s *session) OnClose(err error) {
	now := s.part.Clock().Position(time.Now())
	s.p.finish(now)
	s.part.Leave(s.p.fr.Cursor(), now)
	st := s.p.stats
	attrs := []any{"received", st.Received, "lost", st.Lost, "late", st.Late,
		"concealed", st.Concealed, "frames", st.Frames}
	if v := s.video; v != nil {
		attrs = append(attrs, "video", v.codec, "videoFrames", v.stats.Frames, "keyframes", v.stats.Keyframes,
			"videoDropped", v.stats.Dropped, "videoPackets", v.stats.Packets, "videoPadding", v.stats.Padding, "keyframeRequests", v.stats.Requests)
	}
	switch {
	case errors.Is(err, rtcrecv.ErrRemoteClosed):
		s.setReason(reasonRemoteClosed)
	case err != nil && !errors.Is(err, rtcrecv.ErrClosed):
		s.setReason(reasonConnectionLost)
		attrs = append(attrs, "err", err.Error())
	}
	s.setReason(reasonShuttingDown) // closed by the server without a reason: it is stopping
	attrs = append(attrs, "reason", s.endReason())
	s.log.Info("left", attrs...)
	go func() {
		defer close(s.done)
		s.server.sessionEnded(s)
	}()
}

// Session end reasons, as GET /whip/{session} reports them: the hub's
// (callmedia.ReasonCallEnded, callmedia.ReasonReplaced) and these.
const (
	reasonLeft           = "Left"               // the participant's DELETE
	reasonRemoteClosed   = "RemoteClosed"       // the publisher closed DTLS
	reasonConnectionLost = "ConnectionLost"     // consent or connection timed out
	reasonShuttingDown   = "ServerShuttingDown" // the server stopped
)

// setReason records why the session ends, unless a reason was given first.
func (s *session) setReason(r string) {
	s.reasonMu.Lock()
	defer s.reasonMu.Unlock()
	if s.reason == "" {
		s.reason = r
	}
}

func (s *session) endReason() string {
	s.reasonMu.Lock()
	defer s.reasonMu.Unlock()
	return s.reason
}

// Disconnect implements callmedia.Leg: it ends the session for reason and
// waits until its leave has been emitted and recorded.
func (s *session) Disconnect(reason string) {
	s.setReason(reason)
	s.close()
}

// close ends the session (idempotent) and waits until its leave has been
// emitted and recorded.
func (s *session) close() {
	s.stopOnce.Do(s.peer.Close)
	<-s.done
}

// closeContext is close bounded by ctx.
func (s *session) closeContext(ctx context.Context) error {
	s.stopOnce.Do(s.peer.Close)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// abandon disposes of a session that was never started (its negotiation
// or its join failed): nothing was joined, so nothing is emitted.
func (s *session) abandon() {
	s.stopOnce.Do(func() {
		if s.peer != nil {
			s.peer.Close()
		}
	})
	close(s.done)
}
