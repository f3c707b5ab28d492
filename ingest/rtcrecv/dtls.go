package rtcrecv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"

	"github.com/callrec/callrec/mediarecv"
)

// handshakeTimeout bounds the DTLS handshake once ICE has connected.
const handshakeTimeout = 20 * time.Second

// runDTLS is the peer's DTLS goroutine: the handshake (we are the server
// unless the offer was passive), the SRTP keys, then waiting for the end
// (the publisher's close_notify, or the worker closing the peer).
func (p *Peer) runDTLS(id identity, remote netip.AddrPort) {
	conn := &dtlsConn{p: p}
	cfg := &dtls.Config{
		Certificates:           []tls.Certificate{id.cert},
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		ClientAuth:             dtls.RequireAnyClientCert,
		InsecureSkipVerify:     true, // the certificate is checked against the offer's fingerprint instead
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !p.offer.fingerprint.matches(raw[0]) {
				// pion/dtls answers with a fatal alert but its handshake
				// then waits for more; closing the peer ends it.
				p.closeWith(fmt.Errorf("DTLS handshake: %w", errFingerprint))
				return errFingerprint
			}
			return nil
		},
	}
	addr := net.UDPAddrFromAddrPort(remote)
	weAreClient := p.offer.setup == "passive"
	var c *dtls.Conn
	var err error
	if weAreClient {
		c, err = dtls.Client(conn, addr, cfg)
	} else {
		c, err = dtls.Server(conn, addr, cfg)
	}
	if err != nil {
		p.closeWith(fmt.Errorf("DTLS: %w", err))
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	go func() { // the handshake ends early when the peer is closed
		select {
		case <-p.dtlsStop:
			cancel()
		case <-ctx.Done():
		}
	}()
	err = c.HandshakeContext(ctx)
	cancel()
	if err != nil {
		p.closeWith(fmt.Errorf("DTLS handshake: %w", err))
		return
	}
	keys, err := srtpKeys(c, weAreClient)
	if err != nil {
		p.closeWith(err)
		return
	}
	p.keys.Store(keys)
	buf := make([]byte, mediarecv.MaxDatagram)
	for {
		if _, err := c.Read(buf); err != nil {
			p.closeWith(ErrRemoteClosed)
			return
		}
	}
}

// srtpKeys derives the SRTP contexts from the finished handshake
// (RFC 5764 §4.2).
func srtpKeys(c *dtls.Conn, weAreClient bool) (*srtpContexts, error) {
	profile, ok := c.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, fmt.Errorf("DTLS: no SRTP protection profile was negotiated")
	}
	state, ok := c.ConnectionState()
	if !ok {
		return nil, fmt.Errorf("DTLS: no connection state")
	}
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(profile)}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, weAreClient); err != nil {
		return nil, fmt.Errorf("SRTP keys: %w", err)
	}
	in, err := srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, cfg.Profile,
		srtp.SRTPReplayProtection(256))
	if err != nil {
		return nil, fmt.Errorf("SRTP context: %w", err)
	}
	out, err := srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("SRTP context: %w", err)
	}
	return &srtpContexts{in: in, out: out}, nil
}

// dtlsConn is the net.PacketConn the DTLS library sees: records the
// worker received from the peer's address in, records out through the
// peer's socket to its selected address.
type dtlsConn struct {
	p *Peer
}

func (c *dtlsConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case rec := <-c.p.dtlsIn:
		return copy(b, rec), c.remoteAddr(), nil
	case <-c.p.dtlsStop:
		return 0, nil, io.EOF
	}
}

func (c *dtlsConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-c.p.dtlsStop:
		return 0, net.ErrClosed
	default:
	}
	to := c.p.remote.Load()
	if to == nil {
		return 0, net.ErrClosed
	}
	// The socket is shared with the worker; concurrent sends on a UDP
	// socket are safe.
	if err := to.sock.writeTo(b, to.addr); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *dtlsConn) remoteAddr() net.Addr {
	if to := c.p.remote.Load(); to != nil {
		return net.UDPAddrFromAddrPort(to.addr)
	}
	return &net.UDPAddr{}
}

func (c *dtlsConn) Close() error                     { return nil }
func (c *dtlsConn) LocalAddr() net.Addr              { return net.UDPAddrFromAddrPort(c.p.w.socks[0].local) }
func (c *dtlsConn) SetDeadline(time.Time) error      { return nil }
func (c *dtlsConn) SetReadDeadline(time.Time) error  { return nil }
func (c *dtlsConn) SetWriteDeadline(time.Time) error { return nil }
