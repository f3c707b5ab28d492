package rtcrecv

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/callrec/callrec/mediarecv"
)

// Config configures an Endpoint. The zero value listens on every
// interface's addresses, on ephemeral ports.
type Config struct {
	// LoopbackOnly listens on 127.0.0.1 alone (tests, single-host setups).
	// Without it, on a host with no usable address on any interface but
	// loopback and with neither Interfaces nor PublicIPs set, Listen does
	// the same and logs that it did.
	LoopbackOnly bool
	// Interfaces, if set, limits the addresses to these interfaces'.
	Interfaces []string
	// UDPPortMin and UDPPortMax, if set, bound the ports listened on.
	UDPPortMin, UDPPortMax uint16
	// PublicIPs are advertised instead of the local addresses (a 1:1 NAT).
	PublicIPs []string
	// Workers is the number of worker goroutines, each with its own sockets.
	// Zero means GOMAXPROCS.
	Workers int
	// PollInterval is how long a worker sleeps between drains of its
	// sockets. Zero means 20 ms.
	PollInterval time.Duration
	// ConnectTimeout closes a peer whose ICE and DTLS have not completed
	// this long after Accept. Zero means 30 s.
	ConnectTimeout time.Duration
	// ConsentTimeout closes a connected peer from which nothing valid has
	// come for this long (RFC 7675 consent; browsers check every 5 s). Zero
	// means 25 s.
	ConsentTimeout time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// TickInterval is how often a peer's Handler.OnTick runs.
const TickInterval = 20 * time.Millisecond

// Endpoint is the shared UDP side of every peer: workers, their sockets and
// the DTLS identity.
type Endpoint struct {
	cfg      Config
	log      *slog.Logger
	id       identity
	workers  []*worker
	wg       sync.WaitGroup // workers and DTLS goroutines
	start    time.Time
	closeMu  sync.Mutex
	isClosed bool
}

// Listen binds the workers' sockets and starts the workers.
func Listen(cfg Config) (*Endpoint, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.ConsentTimeout <= 0 {
		cfg.ConsentTimeout = 25 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var public []netip.Addr
	for _, s := range cfg.PublicIPs {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q", ErrPublicIP, s)
		}
		public = append(public, ip.Unmap())
	}
	addrs, fellBack, err := listenAddrs(cfg)
	if err != nil {
		return nil, err
	}
	if fellBack {
		cfg.Logger.Warn("no network interface but loopback has an address: WebRTC media on 127.0.0.1 only, for participants on this host",
			"component", "rtcrecv")
	}
	id, err := newIdentity()
	if err != nil {
		return nil, fmt.Errorf("DTLS certificate: %w", err)
	}
	e := &Endpoint{cfg: cfg, log: cfg.Logger.With("component", "rtcrecv"), id: id, start: time.Now()}
	for i := range cfg.Workers {
		w := newWorker(e, i)
		var err error
		for _, a := range addrs {
			var s *socket
			if s, err = listenSocket(a, cfg.UDPPortMin, cfg.UDPPortMax, public); err != nil {
				break
			}
			w.socks = append(w.socks, s)
		}
		if err != nil {
			w.closeSockets()
			if i > 0 {
				// A narrow port range: fewer workers, not no server.
				e.log.Warn("media workers limited by the UDP port range", "workers", i, "err", err)
				break
			}
			return nil, err
		}
		e.workers = append(e.workers, w)
	}
	for _, w := range e.workers {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			w.run()
		}()
	}
	return e, nil
}

// Accept answers an offer: it returns the peer (not yet started: its
// media is dropped until Start) and the SDP answer. The peer goes to the
// worker with the least measured cost (pickWorker). An unusable offer is an error wrapping
// ErrInvalidOffer.
func (e *Endpoint) Accept(offerSDP string) (*Peer, string, error) {
	o, err := parseOffer(offerSDP)
	if err != nil {
		return nil, "", err
	}
	p := newPeer(e.pickWorker(), o)
	w := p.w
	var cands []netip.AddrPort
	for _, s := range w.socks {
		cands = append(cands, s.candidates...)
	}
	sid, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	answer := o.answer(localParams{sessionID: sid.Uint64(), ufrag: p.ufrag, pwd: p.pwd,
		fingerprint: e.id.fingerprint, candidates: cands})
	if err := w.add(p); err != nil {
		return nil, "", err
	}
	return p, answer, nil
}

// pickWorker places a peer by measured cost, not by count
// (mediarecv.Least): the first worker busy less than a quarter of a core,
// else the least busy one, counting the peers it took whose cost does not
// show yet.
func (e *Endpoint) pickWorker() *worker {
	return mediarecv.Least(e.workers, func(w *worker) *mediarecv.Cost { return &w.cost })
}

// ErrClosed is returned by Accept once the endpoint is closing.
var ErrClosed = errors.New("the media endpoint is closed")

// Close closes every peer (their handlers' OnClose run), stops the workers
// and closes the sockets.
func (e *Endpoint) Close() error {
	e.closeMu.Lock()
	if e.isClosed {
		e.closeMu.Unlock()
		return nil
	}
	e.isClosed = true
	e.closeMu.Unlock()
	for _, w := range e.workers {
		close(w.quit)
	}
	e.wg.Wait()
	for _, w := range e.workers {
		w.closeSockets()
	}
	return nil
}

// micros is t on the endpoint's microsecond clock (TWCC arrival times).
func (e *Endpoint) micros(t time.Time) int64 { return t.Sub(e.start).Microseconds() }
