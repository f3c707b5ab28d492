package ingest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
)

const (
	tickInterval = 20 * time.Millisecond
	// connectTimeout ends a session whose ICE/DTLS never connects.
	connectTimeout = 30 * time.Second
	// packetQueue is how many received packets may wait for the pipeline.
	packetQueue = 256
)

// arrival is a packet and when it was read from the network.
type arrival struct {
	pkt *rtp.Packet
	at  time.Time
}

// session is one WHIP resource: one participant's PeerConnection and the
// pipeline goroutine (run) that owns its audio. Every event of the
// participant (joined, muted, left) and every frame comes from run, in order.
type session struct {
	id       string
	rawID    string
	call     *callMedia
	server   *Server
	pc       *webrtc.PeerConnection
	log      *slog.Logger
	joinedAt time.Time

	packets      chan arrival
	stop         chan struct{} // closed to end the session
	stopOnce     sync.Once
	done         chan struct{} // closed when run has returned
	audioClaimed atomic.Bool
	connected    atomic.Bool

	statsMu sync.Mutex
	stats   StreamStats
}

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newSession(srv *Server, call *callMedia, rawID string) *session {
	id := newSessionID()
	return &session{
		id:      id,
		rawID:   rawID,
		call:    call,
		server:  srv,
		log:     srv.log.With("call", call.id, "participant", rawID, "session", id),
		packets: make(chan arrival, packetQueue),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// attach wires the PeerConnection's callbacks to the session.
func (s *session) attach(pc *webrtc.PeerConnection) {
	s.pc = pc
	pc.OnTrack(s.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.log.Debug("connection state", "state", st.String())
		switch st {
		case webrtc.PeerConnectionStateConnected:
			s.connected.Store(true)
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			// Not inline: close waits for run, and Pion must not be blocked.
			go s.close()
		}
	})
}

// onTrack runs on a Pion goroutine for each incoming track and reads it
// until the PeerConnection closes. The first Opus track is the
// participant's audio; other tracks (video, a second audio) are read and
// discarded so that their RTCP keeps flowing.
func (s *session) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	isOpus := track.Kind() == webrtc.RTPCodecTypeAudio &&
		strings.EqualFold(track.Codec().MimeType, webrtc.MimeTypeOpus)
	if !isOpus || !s.audioClaimed.CompareAndSwap(false, true) {
		s.log.Info("track ignored", "kind", track.Kind().String(), "codec", track.Codec().MimeType)
		buf := make([]byte, 1500)
		for {
			if _, _, err := track.Read(buf); err != nil {
				return
			}
		}
	}
	s.log.Info("audio track", "ssrc", uint32(track.SSRC()), "payloadType", uint8(track.PayloadType()))
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		select {
		case s.packets <- arrival{pkt: pkt, at: time.Now()}:
		case <-s.stop:
			return
		}
	}
}

// run owns the participant's pipeline until the session stops, then emits
// the leave and tells the server.
func (s *session) run() {
	defer close(s.done)
	defer s.server.sessionEnded(s)

	dec, err := audio.NewOpusDecoder()
	if err != nil {
		s.log.Error("opus decoder", "err", err)
		return
	}
	clock := s.call.clock
	p := newPipeline(dec, s.server.latency, s.server.metrics,
		func(pos int64, samples []int16) {
			s.call.frame(callrec.Frame{Participant: s.rawID, Pos: pos, Samples: samples})
		},
		func(muted bool, pos int64) {
			kind := callrec.ParticipantUnmute
			if muted {
				kind = callrec.ParticipantMuted
			}
			s.event(kind, pos)
		})
	p.tl.floor = s.call.lastEnd(s.rawID)
	s.event(callrec.ParticipantJoined, clock.position(s.joinedAt))

	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	connectDeadline := time.NewTimer(connectTimeout)
	defer connectDeadline.Stop()
	for {
		select {
		case a := <-s.packets:
			p.push(a.pkt, clock.position(a.at))
		case <-ticker.C:
			p.tick(clock.position(time.Now()))
			s.setStats(p.stats)
		case <-connectDeadline.C:
			if !s.connected.Load() {
				s.log.Warn("session never connected; closing")
				go s.close()
			}
		case <-s.stop:
			for drained := false; !drained; {
				select {
				case a := <-s.packets:
					p.push(a.pkt, clock.position(a.at))
				default:
					drained = true
				}
			}
			now := clock.position(time.Now())
			p.finish(now)
			s.call.ended(s.rawID, p.tl.cursor())
			s.setStats(p.stats)
			s.event(callrec.ParticipantLeft, max(now, p.tl.cursor()))
			s.log.Info("left", "received", p.stats.Received, "lost", p.stats.Lost, "late", p.stats.Late,
				"concealed", p.stats.Concealed, "frames", p.stats.Frames)
			return
		}
	}
}

func (s *session) event(kind callrec.ParticipantEventKind, pos int64) {
	s.call.event(callrec.ParticipantEvent{Kind: kind, Participant: s.rawID, Pos: pos, At: time.Now()})
}

func (s *session) setStats(st StreamStats) {
	s.statsMu.Lock()
	s.stats = st
	s.statsMu.Unlock()
}

func (s *session) statsSnapshot() StreamStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}

// close ends the session (idempotent) and waits until its leave has been
// emitted and recorded.
func (s *session) close() {
	s.stopOnce.Do(func() {
		close(s.stop)
		if s.pc != nil {
			if err := s.pc.Close(); err != nil {
				s.log.Debug("close peer connection", "err", err)
			}
		}
	})
	<-s.done
}

// closeContext is close bounded by ctx.
func (s *session) closeContext(ctx context.Context) error {
	finished := make(chan struct{})
	go func() {
		s.close()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// abandon disposes of a session whose negotiation failed before run
// started: nothing was joined, so nothing is emitted.
func (s *session) abandon() {
	s.stopOnce.Do(func() {
		close(s.stop)
		if s.pc != nil {
			_ = s.pc.Close()
		}
	})
	close(s.done)
}
