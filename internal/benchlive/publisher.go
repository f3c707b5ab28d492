package benchlive

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/fingerprint"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v4"

	"github.com/callrec/callrec/simulate"
)

// publisher is a send-only WebRTC publisher built from parts, to keep the
// load generator light: one UDP socket on 127.0.0.1, a WHIP offer of Opus
// with the transport-wide sequence number extension, one ICE connectivity
// check (the server is ICE-lite), a DTLS client handshake that checks the
// answer's fingerprint, then SRTP packets written straight to the socket by
// the call's pacer. One goroutine reads what the server sends back: DTLS
// records during the handshake and the close, and its TWCC feedback, which
// the delay probe reads. No ICE agent, no interceptors, no timers.
//
// With video, the offer adds a VP8 section (bundled, keyframe requests by
// PLI and FIR, no transport-wide sequence numbers: the delay probe times
// the audio); the reader notes the server's keyframe requests for the
// pacer.
type publisher struct {
	conn     *net.UDPConn
	server   netip.AddrPort
	dtls     *dtls.Conn
	dtlsIn   chan []byte
	closed   chan struct{} // closed once, by closeOnce
	once     sync.Once
	readDone chan struct{} // closed when the reader returns
	in       atomic.Pointer[srtp.Context]
	out      *srtp.Context
	probe    *delayProbe

	// keyframeWanted is set by the reader on a PLI or FIR, taken by the
	// pacer.
	keyframeWanted atomic.Bool

	// Owned by the pacer.
	hdr    rtp.Header
	vhdr   rtp.Header // the video's, with video
	twccID uint8
	twcc   uint16
	ext    [2]byte
	plain  []byte
	cipher []byte
}

var benchCert = sync.OnceValues(selfsign.GenerateSelfSigned)

// publish connects a publisher to the call over WHIP, ICE and DTLS and
// returns it with the WHIP session's location; with video, it offers a
// VP8 video section too.
func publish(ctx context.Context, client *http.Client, endpoint, callID, token string, probe *delayProbe, video bool) (*publisher, string, error) {
	cert, err := benchCert()
	if err != nil {
		return nil, "", err
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, "", err
	}
	p := &publisher{conn: conn, dtlsIn: make(chan []byte, 16), closed: make(chan struct{}), readDone: make(chan struct{}),
		probe: probe, plain: make([]byte, 1500), cipher: make([]byte, 1500)}
	p.hdr = rtp.Header{Version: 2, PayloadType: 111, SSRC: randUint32()}
	var videoSSRC uint32
	if video {
		videoSSRC = randUint32()
		p.vhdr = rtp.Header{Version: 2, PayloadType: videoPayloadType, SSRC: videoSSRC}
	}
	fp, err := certFingerprint(cert.Certificate[0])
	if err != nil {
		_ = conn.Close()
		return nil, "", err
	}
	ufrag, pwd := randHex(4), randHex(12)
	answer, location, err := simulate.PublishSDP(ctx, client, simulate.WHIPURL(endpoint, callID, ""), token, offerSDP(fp, ufrag, pwd, p.hdr.SSRC, videoSSRC))
	if err != nil {
		_ = conn.Close()
		return nil, location, err
	}
	a, err := parseAnswer(answer)
	if err != nil {
		_ = conn.Close()
		return nil, location, err
	}
	p.server, p.twccID = a.candidate, a.twccID
	if err := p.checkICE(ctx, a.ufrag+":"+ufrag, a.pwd); err != nil {
		_ = conn.Close()
		return nil, location, err
	}
	go p.read()
	if err := p.handshake(ctx, cert, a.fingerprint); err != nil {
		p.close()
		return nil, location, err
	}
	return p, location, nil
}

// videoPayloadType is VP8's in the offer.
const videoPayloadType = 96

// offerSDP is the WHIP offer: Opus, and VP8 if videoSSRC is not 0.
func offerSDP(fp, ufrag, pwd string, ssrc, videoSSRC uint32) string {
	bundle := "0"
	if videoSSRC != 0 {
		bundle = "0 1"
	}
	return "v=0\r\no=- " + strconv.FormatUint(uint64(randUint32()), 10) + " 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"a=group:BUNDLE " + bundle + "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
		"a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\n" +
		"a=fingerprint:sha-256 " + fp + "\r\na=setup:active\r\n" +
		"a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n" +
		"a=extmap:3 " + sdp.TransportCCURI + "\r\na=ssrc:" + strconv.FormatUint(uint64(ssrc), 10) + " cname:callrec-bench\r\n" +
		videoSection(fp, ufrag, pwd, videoSSRC)
}

// videoSection is the offer's VP8 section, or "" if videoSSRC is 0.
func videoSection(fp, ufrag, pwd string, videoSSRC uint32) string {
	if videoSSRC == 0 {
		return ""
	}
	pt := strconv.Itoa(videoPayloadType)
	return "m=video 9 UDP/TLS/RTP/SAVPF " + pt + "\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n" +
		"a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\n" +
		"a=fingerprint:sha-256 " + fp + "\r\na=setup:active\r\n" +
		"a=sendonly\r\na=rtcp-mux\r\na=rtpmap:" + pt + " VP8/90000\r\n" +
		"a=rtcp-fb:" + pt + " nack pli\r\na=rtcp-fb:" + pt + " ccm fir\r\n" +
		"a=ssrc:" + strconv.FormatUint(uint64(videoSSRC), 10) + " cname:callrec-bench\r\n"
}

// certFingerprint is a DER certificate's SHA-256 in SDP's notation.
func certFingerprint(der []byte) (string, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return "", err
	}
	return fingerprint.Fingerprint(c, crypto.SHA256)
}

// answer is what the publisher needs of the server's SDP answer.
type answer struct {
	ufrag, pwd, fingerprint string
	candidate               netip.AddrPort
	twccID                  uint8
}

var (
	ufragRe       = regexp.MustCompile(`(?m)^a=ice-ufrag:(\S+)`)
	pwdRe         = regexp.MustCompile(`(?m)^a=ice-pwd:(\S+)`)
	fingerprintRe = regexp.MustCompile(`(?m)^a=fingerprint:sha-256 (\S+)`)
	candidateRe   = regexp.MustCompile(`(?m)^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host`)
	twccRe        = regexp.MustCompile(`(?m)^a=extmap:(\d+) ` + regexp.QuoteMeta(sdp.TransportCCURI))
)

func parseAnswer(sdp string) (answer, error) {
	var a answer
	get := func(re *regexp.Regexp, what string) ([]string, error) {
		m := re.FindStringSubmatch(sdp)
		if m == nil {
			return nil, fmt.Errorf("WHIP answer without %s", what)
		}
		return m, nil
	}
	for _, f := range []struct {
		re   *regexp.Regexp
		what string
		to   *string
	}{{ufragRe, "ice-ufrag", &a.ufrag}, {pwdRe, "ice-pwd", &a.pwd}, {fingerprintRe, "a sha-256 fingerprint", &a.fingerprint}} {
		m, err := get(f.re, f.what)
		if err != nil {
			return a, err
		}
		*f.to = m[1]
	}
	m, err := get(candidateRe, "a host candidate")
	if err != nil {
		return a, err
	}
	if a.candidate, err = netip.ParseAddrPort(net.JoinHostPort(m[1], m[2])); err != nil {
		return a, fmt.Errorf("WHIP answer candidate: %w", err)
	}
	if m := twccRe.FindStringSubmatch(sdp); m != nil {
		id, _ := strconv.Atoi(m[1])
		a.twccID = uint8(id)
	}
	return a, nil
}

// checkICE sends connectivity checks (nominating) until the server
// answers one.
func (p *publisher) checkICE(ctx context.Context, username, pwd string) error {
	buf := make([]byte, 1500)
	for ctx.Err() == nil {
		req, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername(username),
			stun.RawAttribute{Type: stun.AttrUseCandidate}, stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
		if err != nil {
			return err
		}
		if _, err := p.conn.WriteToUDPAddrPort(req.Raw, p.server); err != nil {
			return err
		}
		_ = p.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			n, err := p.conn.Read(buf)
			if err != nil {
				break // deadline: check again
			}
			m := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if m.Decode() == nil && m.TransactionID == req.TransactionID && m.Type == stun.BindingSuccess {
				return p.conn.SetReadDeadline(time.Time{})
			}
		}
	}
	return fmt.Errorf("ICE: no answer to connectivity checks: %w", ctx.Err())
}

// handshake runs DTLS as the client (the offer said setup:active) and
// derives the SRTP contexts.
func (p *publisher) handshake(ctx context.Context, cert tls.Certificate, want string) error {
	cfg := &dtls.Config{
		Certificates:           []tls.Certificate{cert},
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM},
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		InsecureSkipVerify:     true, // self-signed: the fingerprint is checked instead
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("DTLS: the server sent no certificate")
			}
			if got, err := certFingerprint(raw[0]); err != nil || !strings.EqualFold(got, want) {
				return errors.New("DTLS: the server's certificate does not match the answer's fingerprint")
			}
			return nil
		},
	}
	c, err := dtls.Client(dtlsPipe{p}, net.UDPAddrFromAddrPort(p.server), cfg)
	if err != nil {
		return err
	}
	p.dtls = c
	if err := c.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("DTLS: %w", err)
	}
	state, ok := c.ConnectionState()
	if !ok {
		return errors.New("DTLS: no connection state")
	}
	scfg := srtp.Config{Profile: srtp.ProtectionProfileAeadAes128Gcm}
	if err := scfg.ExtractSessionKeysFromDTLS(&state, true); err != nil {
		return err
	}
	if p.out, err = srtp.CreateContext(scfg.Keys.LocalMasterKey, scfg.Keys.LocalMasterSalt, scfg.Profile); err != nil {
		return err
	}
	in, err := srtp.CreateContext(scfg.Keys.RemoteMasterKey, scfg.Keys.RemoteMasterSalt, scfg.Profile)
	if err != nil {
		return err
	}
	p.in.Store(in)
	return nil
}

// read demultiplexes what the server sends (RFC 7983) until the socket
// closes: DTLS records to the handshake, SRTCP to the delay probe.
func (p *publisher) read() {
	defer close(p.readDone)
	buf := make([]byte, 1500)
	var plain []byte
	for {
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if from != p.server || n < 2 {
			continue
		}
		b := buf[:n]
		switch {
		case b[0] >= 20 && b[0] <= 63:
			select {
			case p.dtlsIn <- append([]byte(nil), b...):
			default: // the DTLS layer is not reading; it retransmits
			}
		case b[0] >= 128 && b[0] <= 191 && b[1] >= 192 && b[1] <= 223:
			in := p.in.Load()
			if in == nil {
				continue
			}
			if plain, err = in.DecryptRTCP(plain[:0], b, nil); err != nil {
				continue
			}
			pkts, err := rtcp.Unmarshal(plain)
			if err != nil {
				continue
			}
			for _, pkt := range pkts {
				switch pkt := pkt.(type) {
				case *rtcp.TransportLayerCC:
					p.probe.feedback(pkt)
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					p.keyframeWanted.Store(true)
				}
			}
		}
	}
}

// send writes one RTP packet of audio (pacer goroutine only).
func (p *publisher) send(seq uint16, ts uint32, marker bool, payload []byte) error {
	return p.write(&p.hdr, true, seq, ts, marker, payload)
}

// sendVideo writes one RTP packet of video (pacer goroutine only).
func (p *publisher) sendVideo(seq uint16, ts uint32, marker bool, payload []byte) error {
	return p.write(&p.vhdr, false, seq, ts, marker, payload)
}

// write sends one RTP packet with header h, with a transport-wide
// sequence number if twcc and the answer has the extension.
func (p *publisher) write(h *rtp.Header, twcc bool, seq uint16, ts uint32, marker bool, payload []byte) error {
	h.SequenceNumber, h.Timestamp, h.Marker = seq, ts, marker
	if twcc && p.twccID != 0 {
		twcc := p.twcc
		p.twcc++
		p.ext = [2]byte{byte(twcc >> 8), byte(twcc)}
		if err := h.SetExtension(p.twccID, p.ext[:]); err != nil {
			return err
		}
		p.probe.noteSent(twcc)
	}
	n, err := h.MarshalTo(p.plain)
	if err != nil {
		return err
	}
	plain := append(p.plain[:n], payload...)
	enc, err := p.out.EncryptRTP(p.cipher[:0], plain, h)
	if err != nil {
		return err
	}
	p.cipher = enc[:0]
	_, err = p.conn.WriteToUDPAddrPort(enc, p.server)
	return err
}

// close ends DTLS (close_notify) and the socket, and waits for the reader.
func (p *publisher) close() {
	if p.dtls != nil {
		_ = p.dtls.Close() // closes the pipe too
	}
	p.closeOnce()
	_ = p.conn.Close()
	<-p.readDone
}

// closeOnce stops the DTLS layer's reads.
func (p *publisher) closeOnce() { p.once.Do(func() { close(p.closed) }) }

// dtlsPipe is the net.PacketConn pion/dtls runs over: records from the
// reader in, records straight to the server out.
type dtlsPipe struct{ p *publisher }

func (d dtlsPipe) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case rec := <-d.p.dtlsIn:
		return copy(b, rec), net.UDPAddrFromAddrPort(d.p.server), nil
	case <-d.p.closed:
		return 0, nil, net.ErrClosed
	}
}

func (d dtlsPipe) WriteTo(b []byte, _ net.Addr) (int, error) {
	return d.p.conn.WriteToUDPAddrPort(b, d.p.server)
}

func (d dtlsPipe) Close() error                     { d.p.closeOnce(); return nil }
func (d dtlsPipe) LocalAddr() net.Addr              { return d.p.conn.LocalAddr() }
func (d dtlsPipe) SetDeadline(time.Time) error      { return nil }
func (d dtlsPipe) SetReadDeadline(time.Time) error  { return nil }
func (d dtlsPipe) SetWriteDeadline(time.Time) error { return nil }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
