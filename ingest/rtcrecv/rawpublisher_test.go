package rtcrecv_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v4"

	"github.com/callrec/callrec/ingest/rtcrecv"
)

// rawPublisher is a publisher built from the parts (a UDP socket, STUN,
// pion/dtls, pion/srtp), so that a test controls every step: which
// password its checks use, which DTLS role and certificate it takes, when
// it goes quiet.
type rawPublisher struct {
	t      *testing.T
	conn   *net.UDPConn
	cert   tls.Certificate
	server netip.AddrPort
	ufrag  string // the endpoint's
	pwd    string
}

func newRawPublisher(t *testing.T) *rawPublisher {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	return &rawPublisher{t: t, conn: conn, cert: cert}
}

// offer is a minimal WHIP offer: Opus on payload type 111.
func (r *rawPublisher) offer(setup string) string {
	sum := sha256.Sum256(r.cert.Certificate[0])
	var fp []string
	for _, b := range sum {
		fp = append(fp, fmt.Sprintf("%02X", b))
	}
	return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
		"a=ice-ufrag:pubr\r\na=ice-pwd:publisherpublisherpubli\r\n" +
		"a=fingerprint:sha-256 " + strings.Join(fp, ":") + "\r\na=setup:" + setup + "\r\n" +
		"a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
}

var (
	ufragRe     = regexp.MustCompile(`a=ice-ufrag:(\S+)`)
	pwdRe       = regexp.MustCompile(`a=ice-pwd:(\S+)`)
	candidateRe = regexp.MustCompile(`a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host`)
)

func (r *rawPublisher) accept(ep *rtcrecv.Endpoint, setup string, h rtcrecv.Handler) *rtcrecv.Peer {
	r.t.Helper()
	peer, answer, err := ep.Accept(r.offer(setup))
	if err != nil {
		r.t.Fatal(err)
	}
	peer.Start(h)
	r.ufrag, r.pwd = ufragRe.FindStringSubmatch(answer)[1], pwdRe.FindStringSubmatch(answer)[1]
	c := candidateRe.FindStringSubmatch(answer)
	r.server = netip.MustParseAddrPort(c[1] + ":" + c[2])
	return peer
}

// check sends one ICE connectivity check with pwd and returns the
// response, or nil if none came within wait.
func (r *rawPublisher) check(pwd string, wait time.Duration) *stun.Message {
	r.t.Helper()
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest,
		stun.NewUsername(r.ufrag+":pubr"), stun.RawAttribute{Type: stun.AttrUseCandidate}, stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.conn.WriteToUDPAddrPort(req.Raw, r.server); err != nil {
		r.t.Fatal(err)
	}
	buf := make([]byte, 1500)
	_ = r.conn.SetReadDeadline(time.Now().Add(wait))
	defer func() { _ = r.conn.SetReadDeadline(time.Time{}) }()
	for {
		n, err := r.conn.Read(buf)
		if err != nil {
			return nil
		}
		if !stun.IsMessage(buf[:n]) {
			continue
		}
		m := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if err := m.Decode(); err != nil || m.TransactionID != req.TransactionID {
			continue
		}
		return m
	}
}

// handshake runs DTLS in the role the offer's setup gave the publisher
// and returns the SRTP context for sending.
func (r *rawPublisher) handshake(asClient bool) (*srtp.Context, error) {
	cfg := &dtls.Config{
		Certificates:           []tls.Certificate{r.cert},
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM},
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		ClientAuth:             dtls.RequireAnyClientCert,
		InsecureSkipVerify:     true,
	}
	to := net.UDPAddrFromAddrPort(r.server)
	var c *dtls.Conn
	var err error
	if asClient {
		c, err = dtls.Client(r.conn, to, cfg)
	} else {
		c, err = dtls.Server(r.conn, to, cfg)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	state, _ := c.ConnectionState()
	scfg := srtp.Config{Profile: srtp.ProtectionProfileAeadAes128Gcm}
	if err := scfg.ExtractSessionKeysFromDTLS(&state, asClient); err != nil {
		return nil, err
	}
	return srtp.CreateContext(scfg.Keys.LocalMasterKey, scfg.Keys.LocalMasterSalt, scfg.Profile)
}

func (r *rawPublisher) sendRTP(ctx *srtp.Context, seq uint16, payload []byte) {
	r.t.Helper()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: uint32(seq) * 960, SSRC: 42}, Payload: payload}
	raw, err := pkt.Marshal()
	if err != nil {
		r.t.Fatal(err)
	}
	enc, err := ctx.EncryptRTP(nil, raw, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.conn.WriteToUDPAddrPort(enc, r.server); err != nil {
		r.t.Fatal(err)
	}
}

// TestConnectivityChecksNeedThePassword: a check signed with another
// password gets no answer; one signed with the answer's ice-pwd gets a
// success response that is signed with it and maps the publisher's address.
func TestConnectivityChecksNeedThePassword(t *testing.T) {
	ep := listen(t)
	pub := newRawPublisher(t)
	pub.accept(ep, "actpass", newRecorder())
	if m := pub.check("not-the-password-at-all!", 300*time.Millisecond); m != nil {
		t.Fatalf("a check with the wrong password was answered: %v", m)
	}
	m := pub.check(pub.pwd, 2*time.Second)
	if m == nil {
		t.Fatal("no answer to a valid check")
	}
	if m.Type != stun.BindingSuccess {
		t.Fatalf("answer %v", m.Type)
	}
	if err := stun.NewShortTermIntegrity(pub.pwd).Check(m); err != nil {
		t.Errorf("answer integrity: %v", err)
	}
	if err := stun.Fingerprint.Check(m); err != nil {
		t.Errorf("answer fingerprint: %v", err)
	}
	var mapped stun.XORMappedAddress
	if err := mapped.GetFrom(m); err != nil {
		t.Fatal(err)
	}
	local := pub.conn.LocalAddr().(*net.UDPAddr)
	if !mapped.IP.Equal(local.IP) || mapped.Port != local.Port {
		t.Errorf("mapped %v, want %v", mapped, local)
	}
}

// TestBothDTLSRoles: whichever role the offer leaves the endpoint, the
// handshake completes and SRTP from the publisher reaches the handler.
func TestBothDTLSRoles(t *testing.T) {
	for _, setup := range []string{"actpass", "passive"} {
		t.Run(setup, func(t *testing.T) {
			ep := listen(t)
			pub := newRawPublisher(t)
			rec := newRecorder()
			peer := pub.accept(ep, setup, rec)
			if pub.check(pub.pwd, 2*time.Second) == nil {
				t.Fatal("no answer to the check")
			}
			ctx, err := pub.handshake(setup == "actpass")
			if err != nil {
				t.Fatalf("DTLS: %v", err)
			}
			waitFor(t, 2*time.Second, "connected", peer.Connected)
			for seq := range uint16(5) {
				pub.sendRTP(ctx, seq, []byte{0xfc, byte(seq)})
			}
			waitFor(t, 2*time.Second, "five packets", func() bool { return rec.count() == 5 })
		})
	}
}

// TestWrongCertificateFailsThePeer: a DTLS certificate other than the one
// the offer's fingerprint names ends the peer with an error.
func TestWrongCertificateFailsThePeer(t *testing.T) {
	ep := listen(t)
	pub := newRawPublisher(t)
	rec := newRecorder()
	pub.accept(ep, "actpass", rec)
	if pub.check(pub.pwd, 2*time.Second) == nil {
		t.Fatal("no answer to the check")
	}
	other, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	pub.cert = other
	if _, err := pub.handshake(true); err == nil {
		t.Error("the handshake with another certificate succeeded")
	}
	select {
	case err := <-rec.closed:
		if err == nil || !strings.Contains(err.Error(), "DTLS") {
			t.Errorf("closed with %v, want a DTLS error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the peer was not closed")
	}
}

// TestTimeouts: a peer that never completes DTLS closes after
// ConnectTimeout; a connected one that goes quiet closes after
// ConsentTimeout.
func TestTimeouts(t *testing.T) {
	ep, err := rtcrecv.Listen(rtcrecv.Config{LoopbackOnly: true, ConnectTimeout: 300 * time.Millisecond, ConsentTimeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()

	never := newRawPublisher(t)
	neverRec := newRecorder()
	never.accept(ep, "actpass", neverRec)
	never.check(never.pwd, time.Second)

	quiet := newRawPublisher(t)
	quietRec := newRecorder()
	quietPeer := quiet.accept(ep, "actpass", quietRec)
	quiet.check(quiet.pwd, time.Second)
	ctx, err := quiet.handshake(true)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, "connected", quietPeer.Connected)
	quiet.sendRTP(ctx, 1, []byte{0xfc})

	for name, c := range map[string]struct {
		rec  *recorder
		want error
	}{"never connected": {neverRec, rtcrecv.ErrConnectTimeout}, "quiet": {quietRec, rtcrecv.ErrConsentExpired}} {
		select {
		case err := <-c.rec.closed:
			if err != c.want {
				t.Errorf("%s: closed with %v, want %v", name, err, c.want)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("%s: not closed", name)
		}
	}
}
