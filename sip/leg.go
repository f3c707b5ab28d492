package sip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/callrec/callrec/audio/dtmf"
	"github.com/callrec/callrec/callmedia"
)

// Why a leg ends.
const (
	reasonBye          = "Bye"                // the phone hung up
	reasonNoAck        = "NoAck"              // the 200 OK was never acknowledged
	reasonCancelled    = "Cancelled"          // CANCEL crossed the answer
	reasonShuttingDown = "ServerShuttingDown" // the endpoint stopped
	reasonMediaTimeout = "MediaTimeout"       // no RTP for Config.MediaTimeout while not on hold
)

// dialogSession is the leg's side of its dialog: the server session of
// an inbound leg, the client session of one callrec dialled.
type dialogSession interface {
	Bye(ctx context.Context) error
	ReadBye(req *sip.Request, tx sip.ServerTransaction) error
	ReadRequest(req *sip.Request, tx sip.ServerTransaction) error
}

// leg is one SIP participant's media: its RTP socket and the goroutine that
// reads it and publishes frames. It implements callmedia.Leg.
type leg struct {
	ep       *Endpoint
	log      *slog.Logger
	callID   string
	rawID    string
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

	stopOnce sync.Once
	quit     chan struct{} // closed to end the media
	done     chan struct{} // closed once the leave is emitted and recorded
}

// offer takes a (re-)INVITE's accepted offer and returns callrec's answer.
func (l *leg) offer(d mediaDesc) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.desc = d
	l.gen++
	l.version++
	return answerSDP(d, l.ep.mediaAddr(l.port), l.ep.sessionID, l.version)
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
	l.stopOnce.Do(func() { close(l.quit) })
	<-l.done
}

// drainWait is how long a stopping leg still reads packets already on
// their way (a phone's last packets and its BYE cross), at most maxDrain.
const (
	drainWait = 5 * time.Millisecond
	maxDrain  = 50 * time.Millisecond
)

// run reads the leg's RTP until its socket closes, publishing frames, and
// then leaves the call. It is the participant's one publishing goroutine.
func (l *leg) run() {
	defer close(l.done)
	clock := l.part.Clock()
	var latched netip.AddrPort
	st := newStream(l.part.Push, func(p dtmf.Press) {
		l.log.Info("key pressed", "event", p.Code, "durationTicks", p.Duration)
	})
	st.out.SetFloor(l.part.Floor())
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	l.ep.metrics.joined()
	peer := &rtcpPeer{}
	rep := newReporter(peer, time.Now())
	rtcpConn := l.listenRTCP()
	if rtcpConn != nil {
		go rep.read(rtcpConn)
	}
	var counted legCounts
	mux := false
	applied, muted := 0, false
	lastTick := time.Now()
	quitting, quitAt := false, time.Time{}
	lastHeard, timedOut := time.Now(), false
	for {
		if !quitting {
			select {
			case <-l.quit:
				quitting, quitAt = true, time.Now()
			default:
			}
		}
		if d, gen := l.control(); gen != applied {
			applied, mux = gen, d.mux
			st.use(d)
			pos := clock.Position(time.Now())
			if !d.sending && !muted {
				muted = true
				l.part.SetMuted(true, pos)
			} else if d.sending && muted {
				muted = false
				st.restart(pos) // the phone's RTP after hold starts a new mapping
				l.part.SetMuted(false, pos)
			}
			latched = netip.AddrPort{} // a new offer may come from elsewhere
			lastHeard = time.Now()
		}
		deadline := lastTick.Add(tickEvery)
		if quitting {
			deadline = time.Now().Add(drainWait)
		}
		_ = l.conn.SetReadDeadline(deadline)
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		now := time.Now()
		if quitting && now.Sub(quitAt) > maxDrain {
			break // a phone that keeps sending after its BYE
		}
		if err != nil && (quitting || !errors.Is(err, os.ErrDeadlineExceeded)) {
			break // stopped, and nothing more on its way; or the socket failed
		}
		if err == nil && isRTCP(buf[:n]) { // rtcp-mux
			if !latched.IsValid() || from.Addr() == latched.Addr() {
				peer.take(buf[:n], from, now)
			}
		} else if err == nil && !muted && pkt.Unmarshal(buf[:n]) == nil && pkt.Version == 2 {
			// Latching: the first source is the phone (symmetric RTP,
			// whatever its SDP said behind NAT); packets from anywhere
			// else are dropped until the next offer.
			if !latched.IsValid() {
				latched = from
				l.log.Debug("RTP latched", "from", from.String())
			}
			if from == latched {
				st.push(&pkt, clock.Position(now))
				rep.stats.packet(&pkt, now, st.clockRate(pkt.PayloadType))
				lastHeard = now
			}
		}
		if !quitting && !muted && now.Sub(lastHeard) > l.ep.cfg.mediaTimeout {
			l.setReason(reasonMediaTimeout)
			quitting, quitAt, timedOut = true, now, true
		}
		if now.Sub(lastTick) >= tickEvery {
			st.tick(clock.Position(now))
			lastTick = now
			rep.due(now, l.reportConn(rtcpConn, mux), latched, mux, false)
			l.ep.metrics.add(&counted, countsOf(st.stats, rep))
		}
	}
	rep.due(time.Now(), l.reportConn(rtcpConn, mux), latched, mux, true) // the leg's last report
	l.conn.Close()
	if rtcpConn != nil {
		rtcpConn.Close()
		<-rep.readerDone
	}
	now := clock.Position(time.Now())
	st.finish(now)
	l.ep.metrics.add(&counted, countsOf(st.stats, rep))
	l.ep.metrics.left()
	l.part.Leave(st.out.Cursor(), now)
	l.ep.ports.release(l.port)
	s := st.stats
	l.log.Info("left", "reason", l.endReason(), "received", s.Received, "lost", s.Lost, "late", s.Late,
		"concealed", s.Concealed, "frames", s.Frames, "keys", s.Events, "foreign", s.Foreign, "reports", rep.sent)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.ep.cfg.Calls.LeaveParticipant(ctx, l.callID, l.rawID); err != nil {
		l.log.Warn("recording the leave failed", "err", err)
	}
	l.ep.forget(l)
	if timedOut {
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		defer cancel()
		if err := l.dialog.Bye(ctx); err != nil {
			l.log.Info("BYE not answered", "err", err)
		}
	}
}

// listenRTCP binds the leg's RTCP port (its RTP port + 1). Without it
// (taken by another program) the leg still takes RTCP multiplexed on its
// RTP port, and reports there.
func (l *leg) listenRTCP() *net.UDPConn {
	addr := l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr.Addr(), addr.Port()+1)))
	if err != nil {
		l.log.Info("no RTCP port", "err", err)
		return nil
	}
	return c
}

// reportConn is the socket reports leave from: the RTCP port, or the RTP
// port with rtcp-mux.
func (l *leg) reportConn(rtcpConn *net.UDPConn, mux bool) *net.UDPConn {
	if mux || rtcpConn == nil {
		return l.conn
	}
	return rtcpConn
}

func countsOf(s streamStats, rep *reporter) legCounts {
	return legCounts{packets: s.Received - s.Foreign, lost: s.Lost, late: s.Late, concealed: s.Concealed, reports: rep.sent}
}
