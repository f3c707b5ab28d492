package sipphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
)

// DialOptions say whom a phone calls and how.
type DialOptions struct {
	// Server is callrec's SIP address, host:port (its --sip-addr).
	Server string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// CallID is the serverCallId to join: the Request-URI's user part.
	CallID string
	// Participant is the phone's rawId: "4:+<number>" or "sip:user@host".
	Participant string
	// Codec is offered alone (plus telephone-event); default PCMU.
	Codec Codec
	// LocalIP is the phone's address for SIP and RTP; default 127.0.0.1.
	LocalIP string
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// RejectedError is a final answer other than 2xx to the INVITE.
type RejectedError struct {
	Status  int
	Reason  string
	Warning string // the answer's Warning header, callrec's explanation
	Contact string // the answer's Contact header (a 302's new target)
}

func (e *RejectedError) Error() string {
	s := fmt.Sprintf("INVITE answered %d %s", e.Status, e.Reason)
	if e.Warning != "" {
		s += ": " + e.Warning
	}
	return s
}

// Call is an established call: the dialog, the media sockets and where
// callrec wants the RTP.
type Call struct {
	// Media is callrec's RTP address from its SDP answer.
	Media netip.AddrPort
	// RTP and RTCP are the phone's media sockets (ports P and P+1).
	RTP, RTCP *net.UDPConn
	Codec     Codec
	// Answer is callrec's SDP answer.
	Answer []byte

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	sipConn net.PacketConn
	session *sipgo.DialogClientSession
	log     *slog.Logger
}

// Dial places a call to callrec and returns once it is answered and
// acknowledged. A refusal is a *RejectedError. Close the Call when done
// (Hangup first to leave with a BYE).
func Dial(ctx context.Context, o DialOptions) (*Call, error) {
	if o.CallID == "" || o.Server == "" {
		return nil, errors.New("sipphone: Server and CallID are required")
	}
	if o.Codec == "" {
		o.Codec = PCMU
	}
	if o.LocalIP == "" {
		o.LocalIP = "127.0.0.1"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	transport := strings.ToLower(o.Transport)
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "tcp" {
		return nil, fmt.Errorf("sipphone: transport %q: want udp or tcp", o.Transport)
	}
	server, err := netip.ParseAddrPort(o.Server)
	if err != nil {
		return nil, fmt.Errorf("sipphone: server %q: want ip:port", o.Server)
	}
	from, asserted, err := identity(o.Participant, o.LocalIP)
	if err != nil {
		return nil, err
	}
	c := &Call{Codec: o.Codec, log: o.Logger}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	if c.RTP, c.RTCP, err = listenPair(o.LocalIP); err != nil {
		return nil, err
	}
	if c.ua, err = sipgo.NewUA(sipgo.WithUserAgent("callrec-simulate")); err != nil {
		return nil, err
	}
	// The phone listens for callrec's requests (its BYE) on the UDP port it
	// sends from; over TCP they come back on the phone's connection.
	if c.sipConn, err = net.ListenPacket("udp", net.JoinHostPort(o.LocalIP, "0")); err != nil {
		return nil, err
	}
	port := c.sipConn.LocalAddr().(*net.UDPAddr).Port
	if c.srv, err = sipgo.NewServer(c.ua, sipgo.WithServerLogger(o.Logger)); err != nil {
		return nil, err
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(o.LocalIP), sipgo.WithClientLogger(o.Logger)}
	if transport == "udp" {
		opts = append(opts, sipgo.WithClientPort(port))
	}
	client, err := sipgo.NewClient(c.ua, opts...)
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: from.User, Host: o.LocalIP, Port: port}}
	if transport == "tcp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	dialogs := sipgo.NewDialogClientCache(client, contact)
	c.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	go func() { _ = c.srv.ServeUDP(c.sipConn) }()

	to := sip.Uri{Scheme: "sip", User: o.CallID, Host: server.Addr().String(), Port: int(server.Port())}
	if transport == "tcp" {
		to.UriParams = sip.NewParams()
		to.UriParams.Add("transport", "tcp")
	}
	fromHdr := &sip.FromHeader{Address: from, Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(8))
	headers := []sip.Header{fromHdr, sip.NewHeader("Content-Type", "application/sdp")}
	if asserted != "" {
		headers = append(headers, sip.NewHeader("P-Asserted-Identity", asserted))
	}
	s, err := dialogs.Invite(ctx, to, c.offer(o.LocalIP), headers...)
	if err != nil {
		return nil, fmt.Errorf("sipphone: INVITE: %w", err)
	}
	c.session = s
	if err := s.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		if r := s.InviteResponse; r != nil && !r.IsSuccess() && !r.IsProvisional() {
			e := &RejectedError{Status: r.StatusCode, Reason: r.Reason}
			if w := r.GetHeader("Warning"); w != nil {
				e.Warning = w.Value()
			}
			if ct := r.GetHeader("Contact"); ct != nil {
				e.Contact = ct.Value()
			}
			return nil, e
		}
		return nil, fmt.Errorf("sipphone: INVITE: %w", err)
	}
	if err := s.Ack(ctx); err != nil {
		return nil, fmt.Errorf("sipphone: ACK: %w", err)
	}
	c.Answer = s.InviteResponse.Body()
	if c.Media, err = answerMedia(c.Answer); err != nil {
		_ = c.Hangup(ctx)
		return nil, err
	}
	ok = true
	return c, nil
}

// identity returns the From URI and the P-Asserted-Identity value (empty
// for a sip: participant) of a rawId.
func identity(rawID, host string) (sip.Uri, string, error) {
	switch {
	case strings.HasPrefix(rawID, "4:+"):
		n := strings.TrimPrefix(rawID, "4:")
		return sip.Uri{Scheme: "sip", User: n, Host: host}, "<sip:" + n + "@" + host + ";user=phone>", nil
	case strings.HasPrefix(rawID, "sip:"):
		var u sip.Uri
		if err := sip.ParseUri(rawID, &u); err != nil || u.Host == "" {
			return sip.Uri{}, "", fmt.Errorf("sipphone: participant %q is not a SIP URI", rawID)
		}
		return sip.Uri{Scheme: "sip", User: u.User, Host: u.Host}, "", nil
	}
	return sip.Uri{}, "", fmt.Errorf("sipphone: participant %q: a phone is 4:+<number> or sip:user@host", rawID)
}

// listenPair binds an even UDP port P for RTP and P+1 for RTCP.
func listenPair(ip string) (*net.UDPConn, *net.UDPConn, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, nil, fmt.Errorf("sipphone: local address %q: %w", ip, err)
	}
	for range 50 {
		rtp, err := net.ListenUDP("udp", &net.UDPAddr{IP: addr.AsSlice()})
		if err != nil {
			return nil, nil, err
		}
		port := rtp.LocalAddr().(*net.UDPAddr).Port
		if port%2 == 0 && port < 65535 {
			if rtcp, err := net.ListenUDP("udp", &net.UDPAddr{IP: addr.AsSlice(), Port: port + 1}); err == nil {
				return rtp, rtcp, nil
			}
		}
		rtp.Close()
	}
	return nil, nil, errors.New("sipphone: no free pair of UDP ports for RTP and RTCP")
}

// offer is the phone's SDP offer: its codec and telephone-event, sendrecv.
func (c *Call) offer(ip string) []byte {
	port := c.RTP.LocalAddr().(*net.UDPAddr).Port
	pt := c.Codec.PayloadType()
	return fmt.Appendf(nil, "v=0\r\no=phone %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d 101\r\na=rtpmap:%d %s\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"+
		"a=ptime:20\r\na=sendrecv\r\n", time.Now().UnixNano()%1e9, ip, ip, port, pt, pt, c.Codec.rtpmap())
}

// answerMedia returns the audio address of callrec's SDP answer.
func answerMedia(body []byte) (netip.AddrPort, error) {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(string(body)); err != nil {
		return netip.AddrPort{}, fmt.Errorf("sipphone: callrec's answer: %w", err)
	}
	for _, m := range s.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		ci := s.ConnectionInformation
		if m.ConnectionInformation != nil {
			ci = m.ConnectionInformation
		}
		if ci == nil || ci.Address == nil {
			break
		}
		addr, err := netip.ParseAddr(ci.Address.Address)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("sipphone: callrec's answer: c= %q", ci.Address.Address)
		}
		return netip.AddrPortFrom(addr, uint16(m.MediaName.Port.Value)), nil
	}
	return netip.AddrPort{}, errors.New("sipphone: callrec's answer has no audio")
}

// Ended is closed when the dialog ends: callrec's BYE, or the phone's.
func (c *Call) Ended() <-chan struct{} { return c.session.Context().Done() }

// Hangup sends a BYE (if the dialog is still up) and waits for its answer.
func (c *Call) Hangup(ctx context.Context) error {
	if c.session == nil {
		return nil
	}
	select {
	case <-c.Ended():
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.session.Bye(ctx)
}

// Close releases the sockets and the user agent.
func (c *Call) Close() {
	if c.session != nil {
		_ = c.session.Close()
	}
	if c.srv != nil {
		_ = c.srv.Close()
	}
	if c.ua != nil {
		_ = c.ua.Close()
	}
	if c.sipConn != nil {
		_ = c.sipConn.Close()
	}
	if c.RTP != nil {
		_ = c.RTP.Close()
	}
	if c.RTCP != nil {
		_ = c.RTCP.Close()
	}
}
