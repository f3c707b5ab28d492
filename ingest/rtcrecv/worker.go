package rtcrecv

import (
	"encoding/binary"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pion/stun/v4"

	"github.com/callrec/callrec/mediarecv"
)

// worker owns some sockets and the peers whose answer named them. Its
// goroutine is the only one that touches a peer's media state.
type worker struct {
	ep    *Endpoint
	index int
	log   *slog.Logger
	socks []*socket
	// reader holds the buffers the worker's sockets are drained into.
	reader *mediarecv.Reader

	// cost is the worker's measured cost (its peers, the share of wall
	// time its polls spend working); placement reads it
	// (Endpoint.pickWorker).
	cost    mediarecv.Cost
	mu      sync.Mutex
	pending []*Peer // accepted, not yet adopted
	wake    chan struct{}
	quit    chan struct{}

	peers    []*Peer
	byUfrag  map[string]*Peer
	byAddr   map[netip.AddrPort]*Peer
	nextTick time.Time
	// readMicros is when this poll read its datagrams, on the endpoint's
	// microsecond clock: the arrival time TWCC feedback reports.
	readMicros int64
	stunMsg    stun.Message
	drainErr   bool
}

func newWorker(e *Endpoint, index int) *worker {
	return &worker{
		ep: e, index: index, log: e.log.With("worker", index), reader: mediarecv.NewReader(),
		wake: make(chan struct{}, 1), quit: make(chan struct{}),
		byUfrag: map[string]*Peer{}, byAddr: map[netip.AddrPort]*Peer{},
	}
}

// add queues an accepted peer for the worker.
func (w *worker) add(p *Peer) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.quit:
		return ErrClosed
	default:
	}
	w.pending = append(w.pending, p)
	w.cost.Placed()
	w.poke()
	return nil
}

// poke wakes an idle worker.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run polls until the endpoint closes: sleep a poll interval, adopt new
// peers, drain the sockets, close what must close, tick.
func (w *worker) run() {
	poll := w.ep.cfg.PollInterval
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		if len(w.peers) == 0 && !w.hasPending() {
			// Nothing to poll for: no cost until a peer comes.
			w.cost.Idle()
			select { // idle: nothing to poll for
			case <-w.wake:
			case <-w.quit:
				w.shutdown()
				return
			}
		} else {
			select {
			case <-timer.C:
			case <-w.quit:
				w.shutdown()
				return
			}
		}
		now := time.Now()
		w.adopt(now)
		w.drain(now)
		w.reap(now)
		if !now.Before(w.nextTick) {
			w.nextTick = now.Add(TickInterval)
			last := now
			for _, p := range w.peers {
				p.tick(now)
				// The socket is read again whenever decoding has held it
				// for drainEvery: reads never wait behind a whole burst
				// (their arrival time, which TWCC feedback reports, is
				// the read's).
				if t := time.Now(); t.Sub(last) >= drainEvery {
					w.drain(t)
					last = t
				}
			}
			w.reap(now)
		}
		end := time.Now()
		w.cost.Account(now, end)
		timer.Reset(max(poll-end.Sub(now), time.Millisecond))
	}
}

// drainEvery is the longest a worker's decoding holds back the next read
// of its sockets.
const drainEvery = 2 * time.Millisecond

// drain reads every socket of the worker now.
func (w *worker) drain(now time.Time) {
	w.readMicros = w.ep.micros(now)
	for _, s := range w.socks {
		if err := s.drain(w.reader, now, w.handle); err != nil && !w.drainErr {
			w.drainErr = true
			w.log.Error("read from media socket", "socket", s.local.String(), "err", err)
		}
	}
}

func (w *worker) hasPending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) > 0
}

// adopt takes the peers accepted since the last poll, and the handlers of
// peers started since.
func (w *worker) adopt(now time.Time) {
	w.mu.Lock()
	pending := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, p := range pending {
		p.lastHeard = now
		w.peers = append(w.peers, p)
		w.byUfrag[p.ufrag] = p
	}
	for _, p := range w.peers {
		if p.handler == nil {
			p.handler = p.startedHandler(false)
		}
	}
}

// reap finishes the peers asked to close before drained, when the last
// drain of the sockets began: what a publisher sent before its leave (its
// last packets, then its WHIP DELETE) has been handed on. A peer asked to
// close after that waits for the next poll's drain.
func (w *worker) reap(drained time.Time) {
	w.peers = slices.DeleteFunc(w.peers, func(p *Peer) bool {
		if !p.closing.Load() || p.closeAt.After(drained) {
			return false
		}
		w.finish(p, p.closeErr)
		return true
	})
}

// finish forgets p and tells its handler; p.done closes last.
func (w *worker) finish(p *Peer, err error) {
	delete(w.byUfrag, p.ufrag)
	for _, a := range p.addrs {
		if w.byAddr[a] == p {
			delete(w.byAddr, a)
		}
	}
	close(p.dtlsStop)
	p.handler = p.startedHandler(true)
	if p.handler != nil {
		p.handler.OnClose(err)
	}
	w.cost.Gone()
	close(p.done)
}

// shutdown closes every peer as the endpoint closes.
func (w *worker) shutdown() {
	w.mu.Lock()
	pending := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, p := range append(w.peers, pending...) {
		p.closeWith(ErrClosed)
		w.finish(p, p.closeErr)
	}
	w.peers = nil
}

// closeSockets closes the worker's sockets once nothing sends on them: the
// worker and every DTLS goroutine have returned (a descriptor's number may
// be reused as soon as it closes).
func (w *worker) closeSockets() {
	for _, s := range w.socks {
		_ = s.close()
	}
}

// handle demultiplexes one datagram (RFC 7983): STUN, DTLS, or SRTP/SRTCP.
func (w *worker) handle(s *socket, from netip.AddrPort, b []byte, arrival time.Time) {
	if len(b) == 0 {
		return
	}
	switch first := b[0]; {
	case first <= 3:
		w.handleSTUN(s, from, b, arrival)
	case first >= 20 && first <= 63:
		if p := w.byAddr[from]; p != nil {
			select {
			case p.dtlsIn <- slices.Clone(b):
			default: // the handshake is not reading; DTLS retransmits
			}
		}
	case first >= 128 && first <= 191:
		if p := w.byAddr[from]; p != nil {
			w.handleSRTP(p, b, arrival)
		}
	}
}

// handleSTUN answers an ICE connectivity check (ICE-lite: the publisher
// checks, we answer) and binds its source address to the peer.
func (w *worker) handleSTUN(s *socket, from netip.AddrPort, b []byte, arrival time.Time) {
	m := &w.stunMsg
	m.Raw = append(m.Raw[:0], b...)
	if err := m.Decode(); err != nil || m.Type != stun.BindingRequest {
		return
	}
	var user stun.Username
	if err := user.GetFrom(m); err != nil {
		return
	}
	local, _, ok := cutColon(user)
	if !ok {
		return
	}
	p := w.byUfrag[local]
	if p == nil || p.closing.Load() {
		return
	}
	if err := p.integrity.Check(m); err != nil {
		return
	}
	if m.Contains(stun.AttrFingerprint) {
		if err := stun.Fingerprint.Check(m); err != nil {
			return
		}
	}
	resp, err := stun.Build(stun.NewTransactionIDSetter(m.TransactionID), stun.BindingSuccess,
		&stun.XORMappedAddress{IP: from.Addr().AsSlice(), Port: int(from.Port())}, p.integrity, stun.Fingerprint)
	if err != nil {
		return
	}
	if err := s.writeTo(resp.Raw, from); err != nil {
		w.log.Debug("answer STUN", "err", err)
	}
	p.lastHeard = arrival
	if owner := w.byAddr[from]; owner != p {
		w.byAddr[from] = p
		p.addrs = append(p.addrs, from)
	}
	if m.Contains(stun.AttrUseCandidate) || !p.haveSelected {
		p.sock, p.selected, p.haveSelected = s, from, true
		p.remote.Store(&route{sock: s, addr: from})
	}
	if !p.dtlsStarted {
		p.dtlsStarted = true
		w.ep.wg.Add(1)
		go func() {
			defer w.ep.wg.Done()
			p.runDTLS(w.ep.id, from)
		}()
	}
}

func cutColon(u stun.Username) (string, string, bool) {
	for i, c := range u {
		if c == ':' {
			return string(u[:i]), string(u[i+1:]), true
		}
	}
	return "", "", false
}

// handleSRTP decrypts an RTP packet in place and hands audio and video to
// the handler. SRTCP from the publisher (sender reports) is not needed.
func (w *worker) handleSRTP(p *Peer, b []byte, arrival time.Time) {
	keys := p.keys.Load()
	if keys == nil || len(b) < 2 {
		return
	}
	if pt := b[1] & 0x7f; pt >= 64 && pt <= 95 { // RTCP packet types 192–223 (RFC 5761 §4)
		p.lastHeard = arrival
		return
	}
	plain, err := keys.in.DecryptRTP(b, b, &p.pkt.Header)
	if err != nil {
		return
	}
	if err := p.pkt.Unmarshal(plain); err != nil {
		return
	}
	p.lastHeard = arrival
	p.feedback.received(len(b))
	if p.twcc != nil {
		if ext := p.pkt.GetExtension(p.twccExt); len(ext) >= 2 {
			// The poll's read time, not the kernel's: feedback tells the
			// sender how long its packets waited for the pipeline, queueing
			// included.
			p.twcc.Record(p.pkt.SSRC, binary.BigEndian.Uint16(ext), w.readMicros)
		}
	}
	if p.pkt.PayloadType != p.audioPT {
		if p.video != nil && p.pkt.PayloadType == p.video.pt {
			p.videoSSRC = p.pkt.SSRC
			if vh, ok := p.handler.(VideoHandler); ok {
				vh.OnVideoRTP(&p.pkt, arrival)
			}
		}
		return // another stream: received, not recorded
	}
	p.mediaSSRC = p.pkt.SSRC
	if p.handler != nil {
		p.handler.OnRTP(&p.pkt, arrival)
	}
}
