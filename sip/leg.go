package sip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/callrec/callrec/audio/dtmf"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/mediarecv"
)

// Why a leg ends.
const (
	reasonBye          = "Bye"                // the phone hung up
	reasonNoAck        = "NoAck"              // the 200 OK was never acknowledged
	reasonCancelled    = "Cancelled"          // CANCEL crossed the answer
	reasonShuttingDown = "ServerShuttingDown" // the endpoint stopped
	reasonMediaTimeout = "MediaTimeout"       // no RTP for Config.MediaTimeout while not on hold
	reasonBadAnswer    = "BadAnswer"          // the ACK's answer to callrec's late offer was missing or unusable
)

// dialogSession is the leg's side of its dialog: the server session of
// an inbound leg, the client session of one callrec dialled.
type dialogSession interface {
	Bye(ctx context.Context) error
	ReadBye(req *sip.Request, tx sip.ServerTransaction) error
	ReadRequest(req *sip.Request, tx sip.ServerTransaction) error
}

// leg is one SIP participant: its dialog's side of the media and its RTP
// socket, read by a shared receive worker (legMedia) that publishes its
// frames. It implements callmedia.Leg.
type leg struct {
	ep       *Endpoint
	log      *slog.Logger
	callID   string
	rawID    string
	name     string // the caller's display name (From), "" without one
	dialogID string
	dialog   dialogSession
	conn     *net.UDPConn
	port     int
	part     *callmedia.Participant

	mu      sync.Mutex // guards what follows: the dialog's side of the media
	desc    mediaDesc
	gen     int    // bumped by every new offer
	version uint64 // of callrec's SDP
	reason  string
	late    bool // callrec offered in its 200 (an INVITE without SDP); the ACK answers

	offers atomic.Int64 // gen, read by the receive worker without the lock

	stopOnce sync.Once
	quitAt   atomic.Int64  // when stop was asked, Unix nanoseconds
	quit     chan struct{} // closed to end the media
	done     chan struct{} // closed once the leave is emitted and recorded
}

// offer takes a (re-)INVITE's accepted offer and returns callrec's answer.
func (l *leg) offer(d mediaDesc) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.desc = d
	l.gen++
	l.offers.Store(int64(l.gen))
	l.version++
	return answerSDP(d, l.ep.mediaAddr(l.port), l.ep.sessionID, l.version)
}

// lateOffer returns callrec's offer for the 200 to an INVITE without one;
// the ACK brings the answer (ackAnswer). Until then the leg takes no
// packet.
func (l *leg) lateOffer() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.late = true
	l.version++
	return dialOffer(l.ep.mediaAddr(l.port), l.ep.sessionID)
}

// ackAnswer takes the answer an ACK carries to callrec's late offer; an
// ACK of anything else changes nothing. A missing or unusable answer is
// an error: the leg cannot go on (RFC 3264 §5: the session ends).
func (l *leg) ackAnswer(body []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.late {
		return nil
	}
	l.late = false
	if len(body) == 0 {
		return errors.New("the ACK has no SDP answer to callrec's offer")
	}
	d, err := parseAnswer(body)
	if err != nil {
		return err
	}
	l.desc = d
	l.gen++
	l.offers.Store(int64(l.gen))
	return nil
}

// current returns callrec's SDP for the media as it is (an offer in the
// answer to a re-INVITE without SDP).
func (l *leg) current() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++
	return answerSDP(l.desc, l.ep.mediaAddr(l.port), l.ep.sessionID, l.version)
}

func (l *leg) control() (mediaDesc, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.desc, l.gen
}

func (l *leg) setReason(r string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reason == "" {
		l.reason = r
	}
}

func (l *leg) endReason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// Disconnect implements callmedia.Leg: the hub ends the leg for reason
// (callmedia.ReasonCallEnded, or ReasonReplaced when the participant
// joined again elsewhere). The phone gets a BYE.
func (l *leg) Disconnect(reason string) { l.hangup(reason) }

// hangup sends the phone a BYE and ends the leg.
func (l *leg) hangup(reason string) {
	l.setReason(reason)
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := l.dialog.Bye(ctx); err != nil {
		l.log.Info("BYE not answered", "err", err)
	}
	l.stop()
}

// byeTimeout bounds how long a BYE of callrec's waits for its answer.
const byeTimeout = 5 * time.Second

// stop ends the media (idempotent) and waits until the leave is emitted
// and recorded.
func (l *leg) stop() {
	l.stopOnce.Do(func() {
		l.quitAt.Store(time.Now().UnixNano())
		close(l.quit)
	})
	<-l.done
}

// legMedia is a leg's receive side, a member of the shared receive
// workers (package mediarecv): the worker reads the leg's RTP socket (and
// its RTCP socket) with every other participant's, and every method runs
// on that worker, one at a time.
type legMedia struct {
	l        *leg
	clock    callmedia.Clock
	st       *stream
	pkt      rtp.Packet
	rtpSock  *mediarecv.Socket
	rtcpSock *mediarecv.Socket // nil: RTCP only multiplexed on the RTP port
	peer     rtcpPeer
	rep      *reporter
	counted  legCounts
	latched  netip.AddrPort
	mux      bool
	applied  int64
	muted    bool

	lastHeard time.Time
	timedOut  bool
	quitSeen  bool
	// detached is closed once the media is finished (the leave emitted):
	// the leg's goroutine then records the leave.
	detached chan struct{}
}

// run starts the leg's media on the shared receive workers, waits until
// it is over and records the leave. It is the leg's one goroutine; it
// sleeps while the worker publishes the participant's frames.
func (l *leg) run() {
	defer close(l.done)
	m, err := l.startMedia()
	if err != nil {
		l.log.Error("media not received", "err", err)
		l.setReason(reasonShuttingDown)
		l.ep.ports.release(l.port)
		l.part.Leave(l.part.Floor(), l.part.Clock().Position(time.Now()))
	} else {
		<-m.detached
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.ep.cfg.Calls.LeaveParticipant(ctx, l.callID, l.rawID); err != nil {
		l.log.Warn("recording the leave failed", "err", err)
	}
	l.ep.forget(l)
	if m != nil && m.timedOut {
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		defer cancel()
		if err := l.dialog.Bye(ctx); err != nil {
			l.log.Info("BYE not answered", "err", err)
		}
	}
}

// startMedia hands the leg's sockets to a receive worker.
func (l *leg) startMedia() (*legMedia, error) {
	rtpSock, err := mediarecv.FromConn(l.conn)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	m := &legMedia{l: l, clock: l.part.Clock(), rtpSock: rtpSock, lastHeard: now, detached: make(chan struct{})}
	m.st = newStream(l.part.Push, func(p dtmf.Press) {
		l.log.Info("key pressed", "event", p.Code, "durationTicks", p.Duration)
	})
	m.st.out.SetFloor(l.part.Floor())
	m.rep = newReporter(&m.peer, now)
	m.rtcpSock = l.listenRTCP(rtpSock.Local())
	socks := []*mediarecv.Socket{rtpSock}
	if m.rtcpSock != nil {
		socks = append(socks, m.rtcpSock)
	}
	l.ep.metrics.joined()
	if err := l.ep.recv.Attach(m, socks...); err != nil {
		l.ep.metrics.left()
		for _, s := range socks {
			_ = s.Close()
		}
		return nil, err
	}
	return m, nil
}

// apply takes the dialog's latest offer (hold, resume, a new codec or
// address) when there is one.
func (m *legMedia) apply(now time.Time) {
	if m.l.offers.Load() == m.applied {
		return
	}
	d, gen := m.l.control()
	m.applied, m.mux = int64(gen), d.mux
	m.st.use(d)
	pos := m.clock.Position(now)
	if !d.sending && !m.muted {
		m.muted = true
		m.l.part.SetMuted(true, pos)
	} else if d.sending && m.muted {
		m.muted = false
		m.st.restart(pos) // the phone's RTP after hold starts a new mapping
		m.l.part.SetMuted(false, pos)
	}
	m.latched = netip.AddrPort{} // a new offer may come from elsewhere
	m.lastHeard = now
}

// Receive implements mediarecv.Member: one datagram on the leg's RTP or
// RTCP socket.
func (m *legMedia) Receive(s *mediarecv.Socket, from netip.AddrPort, b []byte, arrival time.Time) {
	m.apply(arrival)
	if s == m.rtcpSock || isRTCP(b) { // the RTCP port, or rtcp-mux
		if s == m.rtcpSock || !m.latched.IsValid() || from.Addr() == m.latched.Addr() {
			m.peer.take(b, from, arrival)
		}
		return
	}
	if m.muted || m.pkt.Unmarshal(b) != nil || m.pkt.Version != 2 {
		return
	}
	// Latching: the first source is the phone (symmetric RTP, whatever its
	// SDP said behind NAT); packets from anywhere else are dropped until
	// the next offer.
	if !m.latched.IsValid() {
		m.latched = from
		m.l.log.Debug("RTP latched", "from", from.String())
	}
	if from == m.latched {
		m.st.push(&m.pkt, m.clock.Position(arrival))
		m.rep.stats.packet(&m.pkt, arrival, m.st.clockRate(m.pkt.PayloadType))
		m.lastHeard = arrival
	}
}

// Tick implements mediarecv.Member: time passes; the leg is done once it
// was stopped before the worker's last read of its sockets began (what
// the phone sent before its BYE has been taken).
func (m *legMedia) Tick(now, read time.Time) bool {
	l := m.l
	m.apply(now)
	if !m.quitSeen {
		select {
		case <-l.quit:
			m.quitSeen = true
		default:
		}
	}
	if m.quitSeen && l.quitAt.Load() < read.UnixNano() {
		return true
	}
	if !m.quitSeen && !m.muted && now.Sub(m.lastHeard) > l.ep.cfg.mediaTimeout {
		l.setReason(reasonMediaTimeout)
		m.timedOut = true
		return true
	}
	m.st.tick(m.clock.Position(now))
	m.rep.due(now, m.reportSock(), m.latched, m.mux, false)
	l.ep.metrics.add(&m.counted, countsOf(m.st.stats, m.rep))
	return false
}

// Detached implements mediarecv.Member: the leg's last report, its
// sockets closed, the stream finished and the leave emitted.
func (m *legMedia) Detached() {
	l := m.l
	m.rep.due(time.Now(), m.reportSock(), m.latched, m.mux, true) // the leg's last report
	_ = m.rtpSock.Close()
	if m.rtcpSock != nil {
		_ = m.rtcpSock.Close()
	}
	now := m.clock.Position(time.Now())
	m.st.finish(now)
	l.ep.metrics.add(&m.counted, countsOf(m.st.stats, m.rep))
	l.ep.metrics.left()
	l.part.Leave(m.st.out.Cursor(), now)
	l.ep.ports.release(l.port)
	s := m.st.stats
	l.log.Info("left", "reason", l.endReason(), "received", s.Received, "lost", s.Lost, "late", s.Late,
		"concealed", s.Concealed, "frames", s.Frames, "keys", s.Events, "foreign", s.Foreign, "reports", m.rep.sent)
	close(m.detached)
}

// listenRTCP binds the leg's RTCP port (its RTP port + 1). Without it
// (taken by another program) the leg still takes RTCP multiplexed on its
// RTP port, and reports there.
func (l *leg) listenRTCP(rtp netip.AddrPort) *mediarecv.Socket {
	s, err := mediarecv.Open(netip.AddrPortFrom(rtp.Addr(), rtp.Port()+1))
	if err != nil {
		l.log.Info("no RTCP port", "err", err)
		return nil
	}
	return s
}

// reportSock is the socket reports leave from: the RTCP port, or the RTP
// port with rtcp-mux.
func (m *legMedia) reportSock() *mediarecv.Socket {
	if m.mux || m.rtcpSock == nil {
		return m.rtpSock
	}
	return m.rtcpSock
}

func countsOf(s streamStats, rep *reporter) legCounts {
	return legCounts{packets: s.Received - s.Foreign, lost: s.Lost, late: s.Late, concealed: s.Concealed, reports: rep.sent}
}

// DisplayName implements callmedia.DisplayNamer: the caller's display name
// in the INVITE's From, which labels its tile in video recordings.
func (l *leg) DisplayName() string { return l.name }
