package rtcrecv

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v4"
)

// VideoHandler is a Handler that also takes the peer's video: a handler
// that does not implement it has the video received and dropped.
type VideoHandler interface {
	// OnVideoRTP takes one decrypted RTP packet of the accepted video
	// section, on the worker like OnRTP. pkt and its payload are valid only
	// during the call.
	OnVideoRTP(pkt *rtp.Packet, arrival time.Time)
}

// Handler receives one peer's media. Its methods run on the peer's worker
// goroutine, one at a time, and must not block.
type Handler interface {
	// OnRTP takes one decrypted RTP packet of the accepted audio section.
	// pkt and its payload are valid only during the call.
	OnRTP(pkt *rtp.Packet, arrival time.Time)
	// OnTick lets time pass, every TickInterval.
	OnTick(now time.Time)
	// OnClose is the last call: the peer is closed, by Close (err nil), by
	// the publisher (DTLS close_notify) or by a timeout.
	OnClose(err error)
}

// Errors a peer closes with.
var (
	ErrRemoteClosed   = errors.New("the publisher closed the connection")
	ErrConnectTimeout = errors.New("ICE and DTLS did not complete in time")
	ErrConsentExpired = errors.New("nothing came from the publisher for too long (consent expired)")
)

// Peer is one publisher: its ICE credentials, DTLS and SRTP state, and the
// addresses it sends from.
type Peer struct {
	w          *worker
	ufrag, pwd string
	integrity  stun.MessageIntegrity
	offer      *offer
	audioPT    uint8
	twccExt    uint8
	nack       bool
	localSSRC  uint32
	created    time.Time
	video      *section // the accepted video section, or nil

	// Owned by the worker goroutine.
	handler      Handler
	sock         *socket
	addrs        []netip.AddrPort
	selected     netip.AddrPort
	haveSelected bool
	lastHeard    time.Time
	dtlsStarted  bool
	twcc         *twcc.Recorder
	feedback     feedbackPacer
	mediaSSRC    uint32
	videoSSRC    uint32
	firSeq       uint8
	rtcpBuf      []byte
	pkt          rtp.Packet

	// Shared with the DTLS goroutine and callers.
	remote    atomic.Pointer[route] // where DTLS records go
	keys      atomic.Pointer[srtpContexts]
	dtlsIn    chan []byte   // DTLS records from the worker
	dtlsStop  chan struct{} // closed by the worker when the peer is gone
	startMu   sync.Mutex
	started   Handler // set by Start
	finished  bool    // the worker is done with the peer
	closeOnce sync.Once
	closing   atomic.Bool
	closeErr  error     // set before closing
	closeAt   time.Time // when Close was asked; set before closing
	done      chan struct{}
}

// route is a socket and the address it sends to.
type route struct {
	sock *socket
	addr netip.AddrPort
}

// srtpContexts are the session's keys once DTLS is done: in decrypts the
// publisher's packets, out encrypts our RTCP.
type srtpContexts struct{ in, out *srtp.Context }

func newPeer(w *worker, o *offer) *Peer {
	a := o.audio()
	p := &Peer{
		w:        w,
		ufrag:    randomString(8),
		pwd:      randomString(24),
		offer:    o,
		audioPT:  a.pt,
		twccExt:  a.twccExt,
		nack:     a.nack,
		video:    o.video(),
		created:  time.Now(),
		dtlsIn:   make(chan []byte, 32),
		dtlsStop: make(chan struct{}),
		done:     make(chan struct{}),
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	p.localSSRC = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	p.integrity = stun.NewShortTermIntegrity(p.pwd)
	if p.twccExt != 0 {
		p.twcc = twcc.NewRecorder(p.localSSRC)
	}
	return p
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Start hands the peer's media to h from now on. If the peer has already
// closed, h.OnClose runs at once, on the caller's goroutine.
func (p *Peer) Start(h Handler) {
	p.startMu.Lock()
	finished := p.finished
	if !finished {
		p.started = h
	}
	p.startMu.Unlock()
	if finished {
		h.OnClose(p.closeErr)
		return
	}
	p.w.poke()
}

// startedHandler returns the handler given to Start, if any; with finish
// set, it also marks the peer done, so that a later Start closes at once.
func (p *Peer) startedHandler(finish bool) Handler {
	p.startMu.Lock()
	defer p.startMu.Unlock()
	p.finished = p.finished || finish
	return p.started
}

// NACKEnabled reports whether the publisher offered NACK for its audio.
func (p *Peer) NACKEnabled() bool { return p.nack }

// VideoCodec returns the codec of the publisher's video (VideoVP8 or
// VideoH264), or "" when it sends none the endpoint takes.
func (p *Peer) VideoCodec() string {
	if p.video == nil {
		return ""
	}
	return p.video.codec
}

// SendKeyframeRequest asks the publisher for a keyframe of its video: a
// PLI (RFC 4585), or a FIR (RFC 5104) when it offered only FIR. Call it
// from the handler (on the worker); the handler paces requests.
func (p *Peer) SendKeyframeRequest() {
	if p.video == nil || p.videoSSRC == 0 {
		return
	}
	if p.video.fir && !p.video.pli {
		p.firSeq++
		p.sendRTCP(&rtcp.FullIntraRequest{SenderSSRC: p.localSSRC, MediaSSRC: p.videoSSRC,
			FIR: []rtcp.FIREntry{{SSRC: p.videoSSRC, SequenceNumber: p.firSeq}}})
		return
	}
	p.sendRTCP(&rtcp.PictureLossIndication{SenderSSRC: p.localSSRC, MediaSSRC: p.videoSSRC})
}

// Connected reports whether DTLS has completed (media can flow).
func (p *Peer) Connected() bool { return p.keys.Load() != nil }

// Close ends the peer; its handler's OnClose runs on the worker soon after.
func (p *Peer) Close() { p.closeWith(nil) }

// Done is closed after the handler's OnClose has returned.
func (p *Peer) Done() <-chan struct{} { return p.done }

func (p *Peer) closeWith(err error) {
	p.closeOnce.Do(func() {
		p.closeErr, p.closeAt = err, time.Now()
		p.closing.Store(true)
		p.w.poke()
	})
}

// SendNACK asks the publisher to retransmit seqs of its audio stream. Call
// it from the handler (on the worker).
func (p *Peer) SendNACK(seqs []uint16) {
	if !p.nack || len(seqs) == 0 || p.mediaSSRC == 0 {
		return
	}
	p.sendRTCP(&rtcp.TransportLayerNack{SenderSSRC: p.localSSRC, MediaSSRC: p.mediaSSRC,
		Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)})
}

// sendRTCP encrypts and sends RTCP to the selected address (worker only).
func (p *Peer) sendRTCP(pkts ...rtcp.Packet) {
	keys := p.keys.Load()
	if keys == nil || !p.haveSelected {
		return
	}
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		return
	}
	enc, err := keys.out.EncryptRTCP(p.rtcpBuf[:0], raw, nil)
	if err != nil {
		return
	}
	p.rtcpBuf = enc[:0]
	if err := p.sock.writeTo(enc, p.selected); err != nil {
		p.w.log.Debug("send RTCP", "err", err)
	}
}

// tick runs every TickInterval on the worker: the handler's tick,
// congestion control feedback and the timeouts.
func (p *Peer) tick(now time.Time) {
	if p.handler != nil {
		p.handler.OnTick(now)
	}
	if p.twcc != nil && p.Connected() && p.feedback.due(now) {
		if pkts := p.twcc.BuildFeedbackPacket(); len(pkts) > 0 {
			p.sendRTCP(pkts...)
		}
	}
	switch {
	case !p.Connected() && now.Sub(p.created) > p.w.ep.cfg.ConnectTimeout:
		p.closeWith(ErrConnectTimeout)
	case p.Connected() && now.Sub(p.lastHeard) > p.w.ep.cfg.ConsentTimeout:
		p.closeWith(ErrConsentExpired)
	}
}
