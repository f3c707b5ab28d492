package sip_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/audio/g722"
)

// phone is a SIP user agent client (sipgo) with an RTP socket: a phone
// that calls callrec and sends it a tone.
type phone struct {
	t      *testing.T
	ua     *sipgo.UserAgent
	dialog *sipgo.DialogUA
	rtp    *net.UDPConn
	server netip.AddrPort
	from   string // user part
}

func newPhone(t *testing.T, server netip.AddrPort, from string) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &phone{t: t, ua: ua, rtp: conn, server: server, from: from}
	p.dialog = &sipgo.DialogUA{Client: client,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: "127.0.0.1"}}}
	t.Cleanup(func() { conn.Close(); ua.Close() })
	return p
}

// offer is the phone's SDP offer: formats in order, with direction.
func (p *phone) offer(formats, direction string) []byte {
	port := p.rtp.LocalAddr().(*net.UDPAddr).Port
	s := fmt.Sprintf("v=0\r\no=phone 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n",
		time.Now().UnixNano()%1000, port, formats)
	s += "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
	if direction != "" {
		s += "a=" + direction + "\r\n"
	}
	return []byte(s)
}

// uri is the Request-URI that reaches callID over transport.
func (p *phone) uri(callID, transport string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: callID, Host: p.server.Addr().String(), Port: int(p.server.Port())}
	if transport != "" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", transport)
	}
	return u
}

// call INVITEs callID with body and waits for the final answer; on 200 it
// ACKs. It returns the session, the status and the answer's body.
func (p *phone) call(ctx context.Context, callID, transport string, body []byte, headers ...sip.Header) (*sipgo.DialogClientSession, int, []byte) {
	p.t.Helper()
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.from, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	hs := append([]sip.Header{from, sip.NewHeader("Content-Type", "application/sdp")}, headers...)
	if body == nil {
		hs = hs[:1]
	}
	s, err := p.dialog.Invite(ctx, p.uri(callID, transport), body, hs...)
	if err != nil {
		p.t.Fatalf("INVITE: %v", err)
	}
	err = s.WaitAnswer(ctx, sipgo.AnswerOptions{})
	if err != nil {
		if s.InviteResponse != nil && !s.InviteResponse.IsSuccess() {
			return s, s.InviteResponse.StatusCode, s.InviteResponse.Body()
		}
		p.t.Fatalf("INVITE: %v", err)
	}
	if err := s.Ack(ctx); err != nil {
		p.t.Fatalf("ACK: %v", err)
	}
	return s, s.InviteResponse.StatusCode, s.InviteResponse.Body()
}

// reinvite sends a re-INVITE with body in s's dialog and ACKs a 200. It
// may run on a goroutine of its own: failures are reported with Errorf
// and a status of 0.
func (p *phone) reinvite(ctx context.Context, s *sipgo.DialogClientSession, body []byte) (int, []byte) {
	p.t.Helper()
	req := sip.NewRequest(sip.INVITE, s.InviteResponse.Contact().Address)
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := s.Do(ctx, req)
	if err != nil {
		p.t.Errorf("re-INVITE: %v", err)
		return 0, nil
	}
	if res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, s.InviteResponse.Contact().Address)
		ack.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.ACK})
		if err := s.WriteRequest(ack); err != nil {
			p.t.Errorf("ACK: %v", err)
			return 0, nil
		}
	}
	return res.StatusCode, res.Body()
}

// media returns the address and payload types of an SDP answer's audio.
func media(t *testing.T, body []byte) (netip.AddrPort, []string, string) {
	t.Helper()
	var s sdp.SessionDescription
	if err := s.UnmarshalString(string(body)); err != nil {
		t.Fatalf("answer: %v\n%s", err, body)
	}
	m := s.MediaDescriptions[0]
	addr := netip.MustParseAddr(s.ConnectionInformation.Address.Address)
	dir := ""
	for _, a := range m.Attributes {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			dir = a.Key
		}
	}
	return netip.AddrPortFrom(addr, uint16(m.MediaName.Port.Value)), m.MediaName.Formats, dir
}

// sender sends one RTP stream of 20 ms packets, paced in real time.
type sender struct {
	mu    sync.Mutex // guards pt and enc: the codec may change mid-stream
	conn  *net.UDPConn
	to    netip.AddrPort
	pt    uint8
	seq   uint16
	ts    uint32
	ssrc  uint32
	enc   func(dst []byte, pcm []int16) int
	rate  int // of the PCM the encoder takes
	phase int // samples of tone sent so far
}

func newSender(conn *net.UDPConn, to netip.AddrPort, codecName string) *sender {
	s := &sender{conn: conn, to: to, seq: 1000, ts: 123456, ssrc: 0xCA11}
	s.use(codecName)
	return s
}

// use switches the stream to another codec (of the same sample rate), from
// the next packet on.
func (s *sender) use(codecName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch codecName {
	case "PCMU":
		s.pt, s.rate, s.enc = 0, 8000, g711.PCMU.Encode
	case "PCMA":
		s.pt, s.rate, s.enc = 8, 8000, g711.PCMA.Encode
	case "G722":
		s.pt, s.rate, s.enc = 9, 16000, g722.NewEncoder().Encode
	}
}

// tone sends d of a tone at freq and amp, a packet every 20 ms of wall
// time, and returns when the first packet went out.
func (s *sender) tone(freq, amp float64, d time.Duration) time.Time {
	n := s.rate / 50
	packets := int(d / (20 * time.Millisecond))
	all := audio.Sine(freq, amp, s.rate, s.phase+packets*n)[s.phase:]
	s.phase += packets * n
	start := time.Now()
	payload := make([]byte, n)
	for i := range packets {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 20 * time.Millisecond)))
		s.mu.Lock()
		m := s.enc(payload, all[i*n:(i+1)*n])
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: s.pt, SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc},
			Payload: payload[:m]}
		s.mu.Unlock()
		b, _ := pkt.Marshal()
		_, _ = s.conn.WriteToUDPAddrPort(b, s.to)
		s.seq++
		s.ts += 160
	}
	return start
}
