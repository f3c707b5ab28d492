package siprec

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/callrec/callrec/audio/dtmf"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/mediarecv"
	"github.com/callrec/callrec/sip"
)

// leg is one recorded stream of a session: its RTP socket, read by a
// shared receive worker (legMedia) that decrypts SRTP, decodes with the
// SIP endpoint's RTP stream and publishes the frames as its participant's.
// It implements callmedia.Leg.
type leg struct {
	rs    *session
	log   *slog.Logger
	label string
	rawID string
	port  int
	conn  *net.UDPConn
	part  *callmedia.Participant

	mu     sync.Mutex // guards what follows
	offer  offerStream
	gen    int
	offers atomic.Int64 // gen, read by the receive worker without the lock
	failed atomic.Int64 // SRTP packets that did not authenticate

	stopOnce sync.Once
	quitAt   atomic.Int64 // when stop was asked, Unix nanoseconds
	quit     chan struct{}
	done     chan struct{}
}

// startLeg attaches rawID to the session's call and starts reading conn.
func (rs *session) startLeg(ctx context.Context, conn *net.UDPConn, st offerStream, rawID string) (*leg, error) {
	port := conn.LocalAddr().(*net.UDPAddr).Port
	l := &leg{rs: rs, label: st.label, rawID: rawID, port: port, conn: conn, offer: st, gen: 1,
		quit: make(chan struct{}), done: make(chan struct{})}
	l.offers.Store(1)
	l.log = rs.log.With("label", st.label, "rawId", rawID, "rtpPort", port)
	calls, callID := rs.srv.cfg.Calls, rs.callID
	part, err := rs.srv.cfg.Hub.Attach(callID, rawID, l, func() error {
		return calls.JoinParticipant(ctx, callID, rawID)
	})
	if err != nil {
		conn.Close()
		rs.srv.cfg.Endpoint.ReleaseRTP(port)
		return nil, err
	}
	l.part = part
	go l.run()
	return l, nil
}

// update takes a re-offer of the leg's stream (a new codec or key).
func (l *leg) update(st offerStream) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.offer = st
	l.gen++
	l.offers.Store(int64(l.gen))
}

func (l *leg) control() (offerStream, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.offer, l.gen
}

// Disconnect implements callmedia.Leg: the call ended (the whole session
// is hung up, a BYE to the SRC), or the participant joined again from
// elsewhere (this stream alone stops).
func (l *leg) Disconnect(reason string) {
	if reason == callmedia.ReasonReplaced {
		l.stop()
		return
	}
	l.rs.hangup(reason)
	l.stop()
}

// stop ends the leg and waits until its leave is recorded.
func (l *leg) stop() {
	l.stopOnce.Do(func() {
		l.quitAt.Store(time.Now().UnixNano())
		close(l.quit)
	})
	<-l.done
}

// legMedia is a leg's receive side, a member of the shared receive
// workers (package mediarecv): every method runs on the worker that reads
// the leg's socket, one at a time.
type legMedia struct {
	l       *leg
	sock    *mediarecv.Socket
	clock   callmedia.Clock
	st      *sip.Stream
	pkt     rtp.Packet
	hdr     rtp.Header
	plain   []byte
	keys    *srtp.Context
	latched netip.AddrPort
	applied int64
	muted   bool
	// quitSeen: stop was asked; detached is closed once the leave is
	// emitted.
	quitSeen bool
	detached chan struct{}
}

// run hands the leg's socket to a receive worker, waits until the stream
// is over and records the leave. It is the leg's one goroutine; it sleeps
// while the worker publishes the stream's frames.
func (l *leg) run() {
	defer close(l.done)
	sock, err := mediarecv.FromConn(l.conn)
	if err == nil {
		m := &legMedia{l: l, sock: sock, clock: l.part.Clock(), detached: make(chan struct{})}
		m.st = sip.NewStream(l.part.Push, l.part.Floor(), func(p dtmf.Press) {
			l.log.Info("key pressed", "event", p.Code, "durationTicks", p.Duration)
		})
		if err = l.rs.srv.cfg.Endpoint.Receive().Attach(m, sock); err == nil {
			<-m.detached
		} else {
			_ = sock.Close()
		}
	}
	if err != nil {
		l.log.Error("stream not received", "err", err)
		l.part.Leave(l.part.Floor(), l.part.Clock().Position(time.Now()))
		l.rs.srv.cfg.Endpoint.ReleaseRTP(l.port)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.rs.srv.cfg.Calls.LeaveParticipant(ctx, l.rs.callID, l.rawID); err != nil {
		l.log.Warn("recording the leave failed", "err", err)
	}
}

// apply takes the stream's latest re-offer (a new codec or key, a pause).
func (m *legMedia) apply(now time.Time) {
	if m.l.offers.Load() == m.applied {
		return
	}
	o, gen := m.l.control()
	m.applied = int64(gen)
	m.st.Use(o.format)
	m.keys = nil
	if o.crypto != nil {
		var err error
		m.keys, err = srtp.CreateContext(o.crypto.key[:16], o.crypto.key[16:], o.crypto.profile)
		if err != nil {
			m.l.log.Warn("SRTP keys refused", "err", err)
		}
	}
	pos := m.clock.Position(now)
	sending := o.sending()
	if !sending && !m.muted {
		m.muted = true
		m.l.part.SetMuted(true, pos)
	} else if sending && m.muted {
		m.muted = false
		m.st.Restart(pos)
		m.l.part.SetMuted(false, pos)
	}
	m.latched = netip.AddrPort{}
}

// Receive implements mediarecv.Member: one datagram on the leg's socket.
func (m *legMedia) Receive(_ *mediarecv.Socket, from netip.AddrPort, b []byte, arrival time.Time) {
	m.apply(arrival)
	if m.muted {
		return
	}
	if m.keys != nil {
		var err error
		if m.plain, err = m.keys.DecryptRTP(m.plain[:0], b, &m.hdr); err != nil {
			m.l.failed.Add(1)
			return
		}
		b = m.plain
	}
	if m.pkt.Unmarshal(b) != nil || m.pkt.Version != 2 {
		return
	}
	if !m.latched.IsValid() {
		m.latched = from
	}
	if from == m.latched {
		m.st.Push(&m.pkt, m.clock.Position(arrival))
	}
}

// Tick implements mediarecv.Member: time passes; the leg is done once it
// was stopped before the worker's last read of its socket began.
func (m *legMedia) Tick(now, read time.Time) bool {
	m.apply(now)
	if !m.quitSeen {
		select {
		case <-m.l.quit:
			m.quitSeen = true
		default:
		}
	}
	if m.quitSeen && m.l.quitAt.Load() < read.UnixNano() {
		return true
	}
	m.st.Tick(m.clock.Position(now))
	return false
}

// Detached implements mediarecv.Member: the socket closed, the stream
// finished and the leave emitted.
func (m *legMedia) Detached() {
	l := m.l
	_ = m.sock.Close()
	now := m.clock.Position(time.Now())
	end := m.st.Finish(now)
	l.part.Leave(end, now)
	l.rs.srv.cfg.Endpoint.ReleaseRTP(l.port)
	s := m.st.Stats()
	l.log.Info("stream ended", "received", s.Received, "lost", s.Lost, "late", s.Late, "concealed", s.Concealed,
		"frames", s.Frames, "srtpFailed", l.failed.Load())
	close(m.detached)
}
