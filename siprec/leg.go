package siprec

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/callrec/callrec/audio/dtmf"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/sip"
)

// leg is one recorded stream of a session: its RTP socket and the
// goroutine that reads it (decrypting SRTP), decodes with the SIP
// endpoint's RTP stream and publishes the frames as its participant's.
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
	failed int64 // SRTP packets that did not authenticate

	stopOnce sync.Once
	quit     chan struct{}
	done     chan struct{}
}

// startLeg attaches rawID to the session's call and starts reading conn.
func (rs *session) startLeg(ctx context.Context, conn *net.UDPConn, st offerStream, rawID string) (*leg, error) {
	port := conn.LocalAddr().(*net.UDPAddr).Port
	l := &leg{rs: rs, label: st.label, rawID: rawID, port: port, conn: conn, offer: st, gen: 1,
		quit: make(chan struct{}), done: make(chan struct{})}
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
	l.stopOnce.Do(func() { close(l.quit) })
	<-l.done
}

// Reading: a tick every sip.TickEvery, and after stop a short drain of
// packets already on their way.
const (
	drainWait = 5 * time.Millisecond
	maxDrain  = 50 * time.Millisecond
)

// run reads the leg's RTP until stopped, then leaves the call.
func (l *leg) run() {
	defer close(l.done)
	clock := l.part.Clock()
	st := sip.NewStream(l.part.Push, l.part.Floor(), func(p dtmf.Press) {
		l.log.Info("key pressed", "event", p.Code, "durationTicks", p.Duration)
	})
	buf := make([]byte, 1500)
	var plain []byte
	var pkt rtp.Packet
	var keys *srtp.Context
	var latched netip.AddrPort
	applied, muted := 0, false
	lastTick := time.Now()
	quitting, quitAt := false, time.Time{}
	for {
		if !quitting {
			select {
			case <-l.quit:
				quitting, quitAt = true, time.Now()
			default:
			}
		}
		if o, gen := l.control(); gen != applied {
			applied = gen
			st.Use(o.format)
			keys = nil
			if o.crypto != nil {
				var err error
				keys, err = srtp.CreateContext(o.crypto.key[:16], o.crypto.key[16:], o.crypto.profile)
				if err != nil {
					l.log.Warn("SRTP keys refused", "err", err)
				}
			}
			pos := clock.Position(time.Now())
			sending := o.sending()
			if !sending && !muted {
				muted = true
				l.part.SetMuted(true, pos)
			} else if sending && muted {
				muted = false
				st.Restart(pos)
				l.part.SetMuted(false, pos)
			}
			latched = netip.AddrPort{}
		}
		deadline := lastTick.Add(sip.TickEvery)
		if quitting {
			deadline = time.Now().Add(drainWait)
		}
		_ = l.conn.SetReadDeadline(deadline)
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		now := time.Now()
		if quitting && now.Sub(quitAt) > maxDrain {
			break
		}
		if err != nil && (quitting || !errors.Is(err, os.ErrDeadlineExceeded)) {
			break
		}
		if err == nil && !muted {
			data := buf[:n]
			if keys != nil {
				var h rtp.Header
				if plain, err = keys.DecryptRTP(plain[:0], data, &h); err != nil {
					l.mu.Lock()
					l.failed++
					l.mu.Unlock()
					data = nil
				} else {
					data = plain
				}
			}
			if data != nil && pkt.Unmarshal(data) == nil && pkt.Version == 2 {
				if !latched.IsValid() {
					latched = from
				}
				if from == latched {
					st.Push(&pkt, clock.Position(now))
				}
			}
		}
		if now.Sub(lastTick) >= sip.TickEvery {
			st.Tick(clock.Position(now))
			lastTick = now
		}
	}
	l.conn.Close()
	now := clock.Position(time.Now())
	end := st.Finish(now)
	l.part.Leave(end, now)
	l.rs.srv.cfg.Endpoint.ReleaseRTP(l.port)
	s := st.Stats()
	l.mu.Lock()
	failed := l.failed
	l.mu.Unlock()
	l.log.Info("stream ended", "received", s.Received, "lost", s.Lost, "late", s.Late, "concealed", s.Concealed,
		"frames", s.Frames, "srtpFailed", failed)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.rs.srv.cfg.Calls.LeaveParticipant(ctx, l.rs.callID, l.rawID); err != nil {
		l.log.Warn("recording the leave failed", "err", err)
	}
}
