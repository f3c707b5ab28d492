package sip

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/mediarecv"
)

// allowed is the Allow header of every answer.
const allowed = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"

// Endpoint is callrec's SIP user agent server.
type Endpoint struct {
	cfg       *parsed
	log       *slog.Logger
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	dialogs   *sipgo.DialogUA
	ports     *portPool
	recv      *mediarecv.Pool // reads the legs' sockets
	ownRecv   bool            // recv is the endpoint's own, closed with it
	metrics   *metrics
	sessionID uint64          // o= session id of callrec's SDP
	srs       RecordingServer // SIPREC sessions; nil without
	guard     *guard          // digest authentication; nil without Config.Users

	udp  net.PacketConn
	tcp  net.Listener
	tls  net.Listener   // nil without Config.TLSAddr
	addr netip.AddrPort // bound, UDP and TCP

	mu        sync.Mutex
	legs      map[string]*leg    // by dialog id
	bindings  map[string]binding // registered users' Contacts, by user
	closed    bool
	wg        sync.WaitGroup // the serving goroutines
	ringing   sync.WaitGroup // INVITEs that ring (added under mu while not closed)
	rings     ringLog        // the INVITEs that ring, kept in Config.RingingFile
	closeOnce sync.Once
	closeDone chan struct{}
	dialCtx   context.Context // ends the dials under way at Close
	dialStop  context.CancelFunc
}

// New returns an Endpoint; Listen starts it.
func New(cfg Config) (*Endpoint, error) {
	p, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callrec"), sipgo.WithUserAgentHostname(p.publicHost))
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(p.Logger))
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(p.publicHost), sipgo.WithClientLogger(p.Logger))
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	e := &Endpoint{
		cfg: p, log: p.Logger.With("component", "sip"), ua: ua, srv: srv,
		ports:     newPortPool(rtpBindAddr(p.listen.Addr()), p.rtpFirst, p.rtpLast),
		metrics:   newMetrics(p.Registerer),
		sessionID: binary.BigEndian.Uint64(id[:]) >> 2,
		legs:      map[string]*leg{},
		rings:     ringLog{path: p.RingingFile, now: map[string]ringEntry{}, left: map[string]time.Time{}},
		bindings:  map[string]binding{},
		closeDone: make(chan struct{}),
	}
	if e.recv = p.Receive; e.recv == nil {
		e.recv, e.ownRecv = mediarecv.New(mediarecv.Config{Logger: p.Logger}), true
	}
	e.dialogs = &sipgo.DialogUA{Client: client}
	e.dialCtx, e.dialStop = context.WithCancel(context.Background())
	srv.OnInvite(e.onInvite)
	srv.OnAck(e.onAck)
	srv.OnBye(e.onBye)
	srv.OnCancel(e.onCancel)
	srv.OnOptions(e.onOptions)
	srv.OnUpdate(e.onUpdate)
	if len(p.Users) > 0 {
		e.guard = newGuard(p.Users, p.AuthAlgorithms)
		srv.OnRegister(e.onRegister)
	}
	return e, nil
}

// rtpBindAddr is where legs' sockets listen: the SIP address's IP.
func rtpBindAddr(ip netip.Addr) netip.Addr { return ip }

// Listen binds UDP and TCP on the configured address (the same port for
// both; port 0 picks one) and serves until Close.
func (e *Endpoint) Listen() error {
	var err error
	for range 10 {
		if err = e.bind(); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("sip: listen on %s: %w", e.cfg.Addr, err)
	}
	if e.cfg.TLSAddr != "" {
		ln, err := tls.Listen("tcp", e.cfg.TLSAddr, e.cfg.TLS)
		if err != nil {
			e.udp.Close()
			e.tcp.Close()
			return fmt.Errorf("sip: TLS listen on %s: %w", e.cfg.TLSAddr, err)
		}
		e.tls = ln
		e.log.Info("listening", "addr", ln.Addr().String(), "transports", "tls")
		e.wg.Go(func() { _ = e.srv.ServeTLS(ln) })
	}
	e.log.Info("listening", "addr", e.addr.String(), "transports", "udp,tcp", "contact", e.contactString())
	e.wg.Go(func() { _ = e.srv.ServeUDP(e.udp) })
	e.wg.Go(func() { _ = e.srv.ServeTCP(e.tcp) })
	e.answerLeftRinging()
	return nil
}

func (e *Endpoint) bind() error {
	u, err := net.ListenPacket("udp", e.cfg.listen.String())
	if err != nil {
		return err
	}
	port := u.LocalAddr().(*net.UDPAddr).Port
	t, err := net.Listen("tcp", netip.AddrPortFrom(e.cfg.listen.Addr(), uint16(port)).String())
	if err != nil {
		u.Close()
		return err
	}
	e.udp, e.tcp = u, t
	e.addr = netip.AddrPortFrom(e.cfg.listen.Addr(), uint16(port))
	return nil
}

// Addr returns the bound address (UDP and TCP).
func (e *Endpoint) Addr() netip.AddrPort { return e.addr }

// Close hangs up every leg (BYE) and stops serving; it returns when every
// leg has left, or with ctx's error (the legs go on leaving). Later calls
// wait for the first.
func (e *Endpoint) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.dialStop()
		legs := make([]*leg, 0, len(e.legs))
		for _, l := range e.legs {
			legs = append(legs, l)
		}
		e.mu.Unlock()
		go func() {
			defer close(e.closeDone)
			var wg sync.WaitGroup
			for _, l := range legs {
				wg.Go(func() { l.hangup(reasonShuttingDown) })
			}
			wg.Wait()
			e.ringing.Wait() // each got its final answer
			_ = e.srv.Close()
			_ = e.ua.Close()
			if e.udp != nil {
				e.udp.Close()
				e.tcp.Close()
			}
			if e.tls != nil {
				e.tls.Close()
			}
			e.wg.Wait()
			if e.ownRecv {
				e.recv.Close()
			}
		}()
	})
	select {
	case <-e.closeDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// contact is callrec's Contact for a transport.
func (e *Endpoint) contact(transport string) sip.ContactHeader {
	port := e.cfg.publicPort
	if port == 0 {
		port = int(e.addr.Port())
	}
	c := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callrec", Host: e.cfg.publicHost, Port: port}}
	switch {
	case strings.EqualFold(transport, "tcp"):
		c.Address.UriParams = sip.NewParams()
		c.Address.UriParams.Add("transport", "tcp")
	case strings.EqualFold(transport, "tls") && e.tls != nil:
		c.Address.Port = e.tls.Addr().(*net.TCPAddr).Port
		c.Address.UriParams = sip.NewParams()
		c.Address.UriParams.Add("transport", "tls")
	}
	return c
}

// TLSAddr returns the bound TLS address; invalid without Config.TLSAddr.
func (e *Endpoint) TLSAddr() netip.AddrPort {
	if e.tls == nil {
		return netip.AddrPort{}
	}
	return e.tls.Addr().(*net.TCPAddr).AddrPort()
}

// mediaAddr is where phones send a leg's RTP.
func (e *Endpoint) mediaAddr(port int) netip.AddrPort {
	return netip.AddrPortFrom(e.cfg.public, uint16(port))
}

func (e *Endpoint) find(req *sip.Request) *leg {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.legs[id]
}

func (e *Endpoint) forget(l *leg) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.legs[l.dialogID] == l {
		delete(e.legs, l.dialogID)
	}
}

// respond answers a request outside an INVITE dialog session.
func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, headers ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

// warning explains a refusal (RFC 3261 §20.43, code 399: miscellaneous).
func warning(text string) sip.Header {
	return sip.NewHeader("Warning", "399 callrec "+strconv.Quote(text))
}

// callIDOf returns the serverCallId an INVITE's Request-URI names: its
// user part, percent-decoded.
func callIDOf(req *sip.Request) string {
	u := req.Recipient.User
	if d, err := url.PathUnescape(u); err == nil {
		return d
	}
	return u
}

func (e *Endpoint) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	inDialog := false
	if to := req.To(); to != nil && to.Params.Has("tag") {
		inDialog = true
	}
	if !inDialog {
		if _, ok := e.authorize(req, tx); !ok {
			return
		}
	}
	if e.srs != nil && e.srs.Handle(req, tx) {
		return
	}
	if inDialog {
		e.onReoffer(req, tx, true)
		return
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		respond(tx, req, 503, "Service Unavailable", warning("callrec is shutting down"))
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil))
	dialog, err := e.dialogs.ReadInvite(req, tx)
	if err != nil {
		respond(tx, req, 400, "Bad Request", warning(err.Error()))
		return
	}
	log := e.log.With("sipCallId", callIDHeader(req), "serverCallId", callIDOf(req))
	reject := func(code int, reason, why string) {
		log.Info("INVITE refused", "status", code, "why", why)
		_ = dialog.Respond(code, reason, nil, warning(why))
	}
	// An INVITE without a body is a late offer: callrec offers in its 200
	// and the ACK answers.
	late := len(req.Body()) == 0
	var desc mediaDesc
	if !late {
		if desc, err = offerOf(req); err != nil {
			code, reason := 400, "Bad Request"
			if errors.Is(err, errNoCodec) {
				code, reason = 488, "Not Acceptable Here"
			}
			reject(code, reason, err.Error())
			return
		}
	}
	ctx := dialog.Context() // ends with a CANCEL (sipgo answers it 200, and the INVITE 487)
	callID, connected, ok := e.resolve(ctx, req, dialog, log, reject)
	if !ok {
		return
	}
	if connected != nil { // an answered call: its application hears how the answer went
		refuse := reject
		reject = func(code int, reason, why string) {
			refuse(code, reason, why)
			connected(&callrec.DialError{Status: code, Reason: why})
		}
	}
	if e.cfg.Redirect != nil && connected == nil { // an answered call was made on this node
		if addr, ok := e.cfg.Redirect(ctx, callID); ok {
			log.Info("INVITE redirected to the call's node", "to", addr)
			_ = dialog.Respond(302, "Moved Temporarily", nil,
				sip.NewHeader("Contact", "<sip:"+req.Recipient.User+"@"+addr+">"))
			return
		}
	}
	conn, err := e.ports.listen()
	if err != nil {
		reject(503, "Service Unavailable", err.Error())
		return
	}
	l := &leg{
		ep: e, callID: callID, rawID: rawIDOf(req), name: displayNameOf(req), dialogID: dialog.ID, dialog: dialog,
		conn: conn, port: conn.LocalAddr().(*net.UDPAddr).Port, quit: make(chan struct{}), done: make(chan struct{}),
	}
	l.log = log.With("rawId", l.rawID, "rtpPort", l.port)
	var answer []byte
	if late {
		answer = l.lateOffer()
	} else {
		answer = l.offer(desc)
	}
	part, err := e.cfg.Hub.Attach(callID, l.rawID, l, func() error {
		return e.cfg.Calls.JoinParticipant(ctx, callID, l.rawID)
	})
	if err != nil {
		conn.Close()
		e.ports.release(l.port)
		switch {
		case ctx.Err() != nil:
			if connected != nil {
				connected(ctx.Err())
			}
		case codeOf(err) == callmedia.CodeTooManyParticipants:
			reject(486, "Busy Here", err.Error())
		case callrec.KindOf(err) == callrec.KindNotFound:
			reject(404, "Not Found", err.Error())
		default:
			reject(500, "Server Internal Error", err.Error())
		}
		return
	}
	l.part = part
	e.mu.Lock()
	closed = e.closed
	if !closed {
		e.legs[l.dialogID] = l
	}
	e.mu.Unlock()
	go l.run()
	if closed { // Close began while this INVITE was on its way
		l.setReason(reasonShuttingDown)
		l.stop()
		reject(503, "Service Unavailable", "callrec is shutting down")
		return
	}
	if late {
		l.log.Info("joined (late offer: callrec offers, the ACK answers)", "transport", req.Transport())
	} else {
		l.log.Info("joined", "codec", desc.codec.String(), "remote", desc.remote.String(), "transport", req.Transport())
	}

	res := sip.NewSDPResponseFromRequest(dialog.InviteRequest, answer)
	e.decorate(req, res)
	if err := dialog.WriteResponse(res); err != nil {
		reason := reasonNoAck
		if ctx.Err() != nil {
			reason = reasonCancelled
		}
		l.log.Info("answer not acknowledged", "err", err)
		l.setReason(reason)
		l.stop()
		if connected != nil {
			connected(err)
		}
		return
	}
	if connected != nil {
		connected(nil)
	}
}

// codeOf returns the code of a callrec.Error, or "".
func codeOf(err error) string {
	if ce, ok := errors.AsType[*callrec.Error](err); ok {
		return ce.Code
	}
	return ""
}

// decorate adds callrec's Contact, Allow and Supported headers, and
// answers a session timer (RFC 4028) by accepting its interval with the
// phone as refresher: callrec tolerates timers but never refreshes.
func (e *Endpoint) decorate(req *sip.Request, res *sip.Response) {
	c := e.contact(req.Transport())
	res.RemoveHeader("Contact")
	res.AppendHeader(&c)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Supported", "timer"))
	se := req.GetHeader("Session-Expires")
	if se == nil {
		se = req.GetHeader("x")
	}
	if se != nil && supports(req, "timer") {
		v, _, _ := strings.Cut(se.Value(), ";")
		res.AppendHeader(sip.NewHeader("Session-Expires", strings.TrimSpace(v)+";refresher=uac"))
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
}

// supports reports whether req's Supported header lists option.
func supports(req *sip.Request, option string) bool {
	for _, h := range append(req.GetHeaders("Supported"), req.GetHeaders("k")...) {
		for v := range strings.SplitSeq(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(v), option) {
				return true
			}
		}
	}
	return false
}

func callIDHeader(req *sip.Request) string {
	if c := req.CallID(); c != nil {
		return c.Value()
	}
	return ""
}

// offerOf reads a request's SDP offer.
func offerOf(req *sip.Request) (mediaDesc, error) {
	body := req.Body()
	if len(body) == 0 {
		return mediaDesc{}, fmt.Errorf("%w: no SDP offer (callrec does not offer first)", errNoCodec)
	}
	if ct := req.ContentType(); ct == nil || !strings.EqualFold(strings.TrimSpace(strings.Split(ct.Value(), ";")[0]), "application/sdp") {
		return mediaDesc{}, fmt.Errorf("%w: the body is not application/sdp", errBadSDP)
	}
	return parseOffer(body)
}

// onReoffer handles a re-INVITE (or an UPDATE) in a dialog: hold and
// resume, a new codec, a new address, or a session refresh.
func (e *Endpoint) onReoffer(req *sip.Request, tx sip.ServerTransaction, invite bool) {
	l := e.find(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := l.dialog.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", warning(err.Error()))
		return
	}
	var body []byte
	if len(req.Body()) == 0 {
		if invite {
			// An offerless re-INVITE (a session refresh): callrec offers
			// the media as it is; the ACK's answer changes nothing.
			body = l.current()
		}
	} else {
		desc, err := offerOf(req)
		if err != nil {
			code, reason := 400, "Bad Request"
			if errors.Is(err, errNoCodec) {
				code, reason = 488, "Not Acceptable Here"
			}
			l.log.Info("re-offer refused; the media stays as it was", "status", code, "why", err.Error())
			respond(tx, req, code, reason, warning(err.Error()))
			return
		}
		body = l.offer(desc)
		l.log.Info("re-offer", "codec", desc.codec.String(), "sending", desc.sending, "remote", desc.remote.String())
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	e.decorate(req, res)
	_ = tx.Respond(res)
}

func (e *Endpoint) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if e.srs != nil && e.srs.Handle(req, tx) {
		return
	}
	if l := e.find(req); l != nil {
		if d, ok := l.dialog.(*sipgo.DialogServerSession); ok {
			_ = d.ReadAck(req, tx) // an ACK of a re-INVITE's 200 does not match the INVITE's CSeq
		}
		if err := l.ackAnswer(req.Body()); err != nil {
			l.log.Info("late offer: the ACK's answer is unusable; hanging up", "err", err)
			go l.hangup(reasonBadAnswer)
		}
	}
}

func (e *Endpoint) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if e.srs != nil && e.srs.Handle(req, tx) {
		return
	}
	l := e.find(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := l.dialog.ReadBye(req, tx); err != nil {
		respond(tx, req, 200, "OK")
	}
	l.setReason(reasonBye)
	go l.stop()
}

// onCancel sees the CANCELs that match no INVITE transaction (sipgo
// answers the others: 200, and 487 to the INVITE).
func (e *Endpoint) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

func (e *Endpoint) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 200, "OK", sip.NewHeader("Allow", allowed), sip.NewHeader("Accept", "application/sdp"),
		sip.NewHeader("Supported", "timer"))
}

func (e *Endpoint) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	if e.srs != nil && e.srs.Handle(req, tx) {
		return
	}
	e.onReoffer(req, tx, false)
}

func (e *Endpoint) contactString() string {
	c := e.contact("udp")
	return c.Address.String()
}
