package rtcrecv

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/srtp/v3"
)

// connectedPeer builds, without a goroutine, a worker with one socket on
// 127.0.0.1 and one peer of seedOffer that is connected (all-zero SRTP
// keys, AES-GCM) and bound to from. It returns the worker, its socket, the
// peer and the context that encrypts what the peer can decrypt.
func connectedPeer(tb testing.TB, from netip.AddrPort) (*worker, *socket, *Peer, *srtp.Context) {
	tb.Helper()
	o, err := parseOffer(seedOffer)
	if err != nil {
		tb.Fatal(err)
	}
	e := &Endpoint{cfg: Config{PollInterval: time.Millisecond}, log: slog.Default(), start: time.Now()}
	w := newWorker(e, 0)
	s, err := listenSocket(netip.MustParseAddr("127.0.0.1"), 0, 0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.close() })
	w.socks = []*socket{s}
	p := newPeer(w, o)
	p.dtlsStarted = true // no handshake goroutine: DTLS records queue up
	key, salt := make([]byte, 16), make([]byte, 12)
	in, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm, srtp.SRTPReplayProtection(256))
	if err != nil {
		tb.Fatal(err)
	}
	out, _ := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm)
	p.keys.Store(&srtpContexts{in: in, out: out})
	sender, _ := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm)
	w.byUfrag[p.ufrag] = p
	w.byAddr[from] = p
	p.addrs = append(p.addrs, from)
	p.sock, p.selected, p.haveSelected = s, from, true
	return w, s, p, sender
}
