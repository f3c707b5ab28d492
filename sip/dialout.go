package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/pion/sdp/v3"

	"github.com/callrec/callrec"
)

// CodeNoTrunk answers a dial to a phone number on an endpoint without
// --sip-trunk.
const CodeNoTrunk = "SipTrunkNotConfigured"

// Dial implements service.Dialer: it sends an INVITE offering callrec's
// audio formats (PCMU, PCMA, G.722, telephone-event) to d.Target — a SIP
// URI as given, a phone number (4:+E164) through the trunk — and returns
// once it is on its way. On 200 it ACKs and attaches the leg to the call
// (rawId d.Target), as an inbound leg; d.Result hears the outcome (a
// *callrec.DialError for a final failure status).
func (e *Endpoint) Dial(ctx context.Context, d callrec.Dial) error {
	to, err := e.dialURI(d.Target)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return callrec.Errorf(callrec.KindUnavailable, "ServerShuttingDown", "callrec is shutting down")
	}
	e.wg.Go(func() { d.Result(e.dial(d, to)) })
	return nil
}

// dialURI is where a target is dialled.
func (e *Endpoint) dialURI(target string) (sip.Uri, error) {
	var u sip.Uri
	if number, ok := strings.CutPrefix(target, "4:"); ok {
		if e.cfg.Trunk == "" {
			return u, callrec.Errorf(callrec.KindNotImplemented, CodeNoTrunk,
				"calling a phone number needs a SIP trunk (--sip-trunk)")
		}
		target = "sip:" + number + "@" + e.cfg.Trunk + ";user=phone"
	}
	if err := sip.ParseUri(target, &u); err != nil {
		return u, callrec.FieldErrorf("target", "InvalidTarget", "%q is not a SIP URI: %v", target, err)
	}
	if b, ok := e.registered(u); ok {
		return b.contact, nil
	}
	return u, nil
}

// registered returns the binding of a target that names a registered
// user at callrec itself: sip:<user>@<callrec's host or the user's realm>.
func (e *Endpoint) registered(u sip.Uri) (binding, bool) {
	if e.guard == nil || u.User == "" {
		return binding{}, false
	}
	b, ok := e.binding(u.User)
	if !ok {
		return binding{}, false
	}
	host := strings.Trim(u.Host, "[]")
	own := strings.Trim(e.cfg.publicHost, "[]")
	if host == own || host == e.addr.Addr().String() || host == e.guard.users[u.User].Realm {
		return b, true
	}
	return binding{}, false
}

// viaTrunk reports whether a dial goes to the trunk (and answers its
// challenge with the trunk's credentials).
func (e *Endpoint) viaTrunk(u sip.Uri) bool {
	if e.cfg.Trunk == "" {
		return false
	}
	host, port, err := net.SplitHostPort(e.cfg.Trunk)
	if err != nil {
		host, port = e.cfg.Trunk, ""
	}
	if !strings.EqualFold(strings.Trim(host, "[]"), strings.Trim(u.Host, "[]")) {
		return false
	}
	return port == "" && u.Port == 0 || port == strconv.Itoa(u.Port)
}

// dial places one outbound leg and returns its outcome.
func (e *Endpoint) dial(d callrec.Dial, to sip.Uri) error {
	ctx, cancel := context.WithTimeout(e.dialCtx, d.Timeout)
	defer cancel()
	log := e.log.With("serverCallId", d.ServerCallID, "rawId", d.Target)
	conn, err := e.ports.listen()
	if err != nil {
		return err
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	release := func() { conn.Close(); e.ports.release(port) }
	transport := "udp"
	if strings.EqualFold(to.UriParams.GetOr("transport", ""), "tcp") {
		transport = "tcp"
	}
	contact := e.contact(transport)
	from := &sip.FromHeader{DisplayName: d.SourceDisplayName, Address: sip.Uri{Scheme: "sip", User: "callrec", Host: e.cfg.publicHost}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	headers := []sip.Header{from, &contact, sip.NewHeader("Content-Type", "application/sdp"),
		sip.NewHeader("Allow", allowed), sip.NewHeader("Supported", "timer")}
	if d.SourceCallerID != "" {
		from.Address.User = d.SourceCallerID
		host := e.cfg.publicHost
		if e.cfg.Trunk != "" {
			host = e.cfg.Trunk
		}
		headers = append(headers, sip.NewHeader("P-Asserted-Identity", "<sip:"+d.SourceCallerID+"@"+host+";user=phone>"))
	}
	for k, v := range d.SIPHeaders {
		headers = append(headers, sip.NewHeader(k, v))
	}
	offer := dialOffer(e.mediaAddr(port), e.sessionID)
	s, err := e.dialogs.Invite(ctx, to, offer, headers...)
	sent := err == nil
	for answered := 0; sent; answered++ {
		err = s.WaitAnswer(ctx, sipgo.AnswerOptions{})
		auth := e.challengeAnswer(s.InviteRequest, err, answered)
		if auth == nil {
			break
		}
		// The same INVITE again, with credentials: the same Call-ID and
		// From tag, the next CSeq (RFC 3261 §22.2).
		log.Info("answering the trunk's challenge", "status", s.InviteResponse.StatusCode)
		_ = s.Close()
		callID := sip.CallIDHeader(s.InviteRequest.CallID().Value())
		cseq := &sip.CSeqHeader{SeqNo: s.InviteRequest.CSeq().SeqNo + 1, MethodName: sip.INVITE}
		s, err = e.dialogs.Invite(ctx, to, offer, append(slices.Clone(headers), &callID, cseq, auth)...)
		sent = err == nil
	}
	if !sent {
		release()
		// A transport error counts as a 503 (RFC 3261 §8.1.3.1).
		log.Info("INVITE not sent", "err", err)
		return &callrec.DialError{Status: 503, Reason: "Service Unavailable: " + err.Error()}
	}
	if err != nil {
		release()
		_ = s.Close()
		if r := s.InviteResponse; r != nil && r.StatusCode >= 300 {
			log.Info("dial refused", "status", r.StatusCode, "reason", r.Reason)
			return &callrec.DialError{Status: int(r.StatusCode), Reason: r.Reason}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return &callrec.DialError{Status: 408, Reason: "Request Timeout"}
		}
		if de, ok := errors.AsType[*sipgo.ErrDialogResponse](err); ok && de.Res != nil {
			return &callrec.DialError{Status: int(de.Res.StatusCode), Reason: de.Res.Reason}
		}
		return &callrec.DialError{Status: 503, Reason: "Service Unavailable: " + err.Error()}
	}
	if err := s.Ack(ctx); err != nil {
		release()
		_ = s.Close()
		return fmt.Errorf("sip: ACK: %w", err)
	}
	desc, err := parseAnswer(s.InviteResponse.Body())
	if err != nil {
		release()
		e.byeClient(s)
		return &callrec.DialError{Status: 488, Reason: err.Error()}
	}
	res := s.InviteResponse
	id := sip.DialogIDMake(res.CallID().Value(), tagOf(res.From().Params), tagOf(res.To().Params))
	l := &leg{ep: e, callID: d.ServerCallID, rawID: d.Target, dialogID: id, dialog: s,
		conn: conn, port: port, quit: make(chan struct{}), done: make(chan struct{})}
	l.log = log.With("rtpPort", port)
	l.mu.Lock()
	l.desc, l.gen = desc, 1
	l.offers.Store(1)
	l.mu.Unlock()
	part, err := e.cfg.Hub.Attach(d.ServerCallID, l.rawID, l, func() error {
		return e.cfg.Calls.JoinParticipant(ctx, d.ServerCallID, l.rawID)
	})
	if err != nil {
		release()
		e.byeClient(s)
		return err
	}
	l.part = part
	e.mu.Lock()
	closed := e.closed
	if !closed {
		e.legs[id] = l
	}
	e.mu.Unlock()
	go l.run()
	if closed {
		l.hangup(reasonShuttingDown)
		return callrec.Errorf(callrec.KindUnavailable, "ServerShuttingDown", "callrec is shutting down")
	}
	l.log.Info("joined (dialled)", "codec", desc.codec.String(), "remote", desc.remote.String(), "to", to.String())
	return nil
}

// challengeAnswer returns the credentials that answer a trunk's digest
// challenge (a 401 or 407 in err) to req, or nil when there is none to
// answer: no trunk credentials, not the trunk, not a challenge, or after
// answers already given — one, and a second only for a stale nonce. The
// digest uri is the whole Request-URI, parameters included (RFC 2617).
func (e *Endpoint) challengeAnswer(req *sip.Request, err error, answered int) sip.Header {
	de, ok := errors.AsType[*sipgo.ErrDialogResponse](err)
	if !ok || de.Res == nil || e.cfg.TrunkPassword == "" || !e.viaTrunk(req.Recipient) || answered >= 2 {
		return nil
	}
	in, out := "WWW-Authenticate", "Authorization"
	switch de.Res.StatusCode {
	case sip.StatusUnauthorized:
	case sip.StatusProxyAuthRequired:
		in, out = "Proxy-Authenticate", "Proxy-Authorization"
	default:
		return nil
	}
	for _, h := range de.Res.GetHeaders(in) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil || !digest.CanDigest(chal) || (answered == 1 && !chal.Stale) {
			continue
		}
		chal.Algorithm = strings.ToUpper(chal.Algorithm)
		cred, err := digest.Digest(chal, digest.Options{Method: sip.INVITE.String(), URI: req.Recipient.String(),
			Username: e.cfg.TrunkUser, Password: e.cfg.TrunkPassword})
		if err == nil {
			return sip.NewHeader(out, cred.String())
		}
	}
	return nil
}

// parseAnswer reads the phone's SDP answer to callrec's offer (dialOffer):
// as an offer, except that its sendonly is the phone sending (in an offer
// it is hold).
func parseAnswer(body []byte) (mediaDesc, error) {
	desc, err := parseOffer(body)
	if err == nil && desc.remote.Addr().IsValid() && !desc.remote.Addr().IsUnspecified() {
		desc.sending = answerSends(body, desc.audio)
	}
	return desc, err
}

// answerSends reports whether an answer's audio line (index i) has the
// phone sending: sendrecv or sendonly, its own or the session's.
func answerSends(body []byte, i int) bool {
	var s sdp.SessionDescription
	if s.UnmarshalString(string(body)) != nil || i >= len(s.MediaDescriptions) {
		return false
	}
	dir := direction(s.MediaDescriptions[i].Attributes)
	if dir == "" {
		dir = direction(s.Attributes)
	}
	return dir == "" || dir == "sendrecv" || dir == "sendonly"
}

func tagOf(p sip.HeaderParams) string { return p.GetOr("tag", "") }

// byeClient hangs up a dialled call whose media cannot be taken.
func (e *Endpoint) byeClient(s *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	_ = s.Bye(ctx)
	_ = s.Close()
}

// dialOffer is callrec's offer of an outbound leg, and of an inbound one
// whose INVITE had none (late offer): it receives PCMU, PCMA, G.722 and
// telephone-event at local.
func dialOffer(local netip.AddrPort, sessionID uint64) []byte {
	ip := "IP4"
	if local.Addr().Is6() {
		ip = "IP6"
	}
	return fmt.Appendf(nil, "v=0\r\no=callrec %d 1 IN %s %s\r\ns=callrec\r\nc=IN %s %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 8 9 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"+
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=recvonly\r\n",
		sessionID, ip, local.Addr(), ip, local.Addr(), local.Port())
}
