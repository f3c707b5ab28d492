package sip

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/atomicfile"
)

// Ringer is what the endpoint needs to ring an application: raise
// IncomingCall for an invitation and wait for the decision (answer,
// reject, redirect) until ctx ends. callrec's service implements it.
type Ringer interface {
	Ring(ctx context.Context, inv callrec.Invitation) (callrec.InviteDecision, error)
}

// DefaultRingTimeout is Config.RingTimeout's default: how long a caller
// hears ringing before 480 when no application decides.
const DefaultRingTimeout = 30 * time.Second

// errRingTimeout ends a ring that nobody answered in time;
// errShuttingDown one the endpoint's Close ended.
var (
	errRingTimeout  = errors.New("nobody answered in time")
	errShuttingDown = errors.New("callrec is shutting down")
)

// Limits of the SIP headers an IncomingCall carries in
// customContext.sipHeaders (ACS's: five custom headers and a
// User-To-User, keys up to 64 characters, values up to 256).
const (
	maxCustomHeaders  = 5
	maxHeaderKeyLen   = 64
	maxHeaderValueLen = 256
)

// resolve decides what an INVITE joins: the call its Request-URI user
// names, the call a route names, or (ringing) the call an application
// answers it into. It answers the INVITE itself when it joins nothing
// (404, a reject, a redirect, 480 after the ring timeout, 487 after a
// CANCEL) and then returns ok false. connected, when not nil, is told the
// outcome of the answer.
func (e *Endpoint) resolve(ctx context.Context, req *sip.Request, dialog *sipgo.DialogServerSession, log *slog.Logger,
	reject func(code int, reason, why string)) (callID string, connected func(error), ok bool) {
	callID = callIDOf(req)
	call, err := e.cfg.Calls.Call(ctx, callID)
	if ctx.Err() != nil {
		log.Info("INVITE cancelled")
		return "", nil, false
	}
	switch {
	case callrec.KindOf(err) == callrec.KindNotFound || callrec.KindOf(err) == callrec.KindInvalid:
		r, routed := e.routeOf(callID)
		switch {
		case !routed:
			reject(404, "Not Found", fmt.Sprintf("no call %q and no route for it", callID))
			return "", nil, false
		case r.ring:
			return e.ring(ctx, req, dialog, log, reject)
		}
		callID = r.callID
		if call, err = e.cfg.Calls.Call(ctx, callID); err != nil && callrec.KindOf(err) == callrec.KindNotFound {
			reject(404, "Not Found", fmt.Sprintf("the route's call %q does not exist", callID))
			return "", nil, false
		}
	}
	switch {
	case err != nil:
		reject(500, "Server Internal Error", err.Error())
		return "", nil, false
	case call.State != callrec.CallActive:
		reject(404, "Not Found", fmt.Sprintf("call %q has ended", callID))
		return "", nil, false
	}
	return callID, nil, true
}

// ring sends 180 Ringing, raises IncomingCall and waits for the decision.
// Close ends the wait: the caller gets 503 rather than silence (Close
// waits for that answer before it stops the transports).
func (e *Endpoint) ring(ctx context.Context, req *sip.Request, dialog *sipgo.DialogServerSession, log *slog.Logger,
	reject func(code int, reason, why string)) (string, func(error), bool) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		reject(503, "Service Unavailable", errShuttingDown.Error())
		return "", nil, false
	}
	e.ringing.Add(1)
	e.mu.Unlock()
	defer e.ringing.Done()
	if e.rings.leftRinging(req) {
		reject(480, "Temporarily Unavailable", "callrec restarted while the call rang; the call has ended")
		return "", nil, false
	}
	if err := dialog.Respond(180, "Ringing", nil); err != nil {
		log.Info("180 not sent", "err", err)
		return "", nil, false
	}
	e.rings.add(req, dialog)
	defer e.rings.remove(req)
	inv := invitationOf(req)
	tctx, cancel := context.WithTimeoutCause(ctx, e.cfg.ringTimeout, errRingTimeout)
	defer cancel()
	rctx, shutDown := context.WithCancelCause(tctx)
	defer shutDown(nil)
	defer context.AfterFunc(e.dialCtx, func() { shutDown(errShuttingDown) })()
	d, err := e.cfg.Incoming.Ring(rctx, inv)
	switch {
	case ctx.Err() != nil:
		log.Info("INVITE cancelled while ringing")
		return "", nil, false
	case errors.Is(context.Cause(rctx), errShuttingDown):
		reject(503, "Service Unavailable", "callrec is shutting down: the call rang and was not answered")
		return "", nil, false
	case errors.Is(context.Cause(rctx), errRingTimeout):
		reject(480, "Temporarily Unavailable", "nobody answered within "+e.cfg.ringTimeout.String())
		return "", nil, false
	case err != nil:
		reject(503, "Service Unavailable", err.Error())
		return "", nil, false
	}
	switch d.Action {
	case callrec.InviteReject:
		reject(d.Status, d.Reason, "the application rejected the call")
		return "", nil, false
	case callrec.InviteRedirect:
		contact := e.redirectContact(d.Target)
		log.Info("INVITE redirected", "contact", contact)
		_ = dialog.Respond(302, "Moved Temporarily", nil, sip.NewHeader("Contact", "<"+contact+">"))
		return "", nil, false
	}
	return d.ServerCallID, d.Connected, true
}

// redirectContact is the Contact of a redirect to target: a phone number
// through the trunk (or as a tel: URI without one), a SIP URI as given.
func (e *Endpoint) redirectContact(target string) string {
	if number, ok := strings.CutPrefix(target, "4:"); ok {
		if e.cfg.Trunk != "" {
			return "sip:" + number + "@" + e.cfg.Trunk + ";user=phone"
		}
		return "tel:" + number
	}
	return target
}

// invitationOf describes an INVITE that rings.
func invitationOf(req *sip.Request) callrec.Invitation {
	inv := callrec.Invitation{From: rawIDOf(req), SIPHeaders: map[string]string{}, SIPCallID: callIDHeader(req)}
	user := callIDOf(req)
	if n, ok := e164(user); ok {
		inv.To = "4:" + n
	} else {
		inv.To = "sip:" + url.PathEscape(user) + "@" + req.Recipient.Host
	}
	inv.CallerDisplayName = displayNameOf(req)
	custom := 0
	for _, h := range req.Headers() {
		name := h.Name()
		switch {
		case strings.EqualFold(name, "User-To-User"):
			inv.SIPHeaders["User-To-User"] = clip(h.Value(), maxHeaderValueLen)
		case len(name) > 2 && strings.EqualFold(name[:2], "X-") && custom < maxCustomHeaders && len(name) <= maxHeaderKeyLen:
			if _, dup := inv.SIPHeaders[name]; !dup {
				custom++
			}
			inv.SIPHeaders[name] = clip(h.Value(), maxHeaderValueLen)
		}
	}
	return inv
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// leftRingingTTL is how long after a start the INVITEs that rang when the
// previous run stopped are answered 480 if retransmitted (a client
// transaction's Timer B, 64 × T1).
const leftRingingTTL = 32 * time.Second

// ringEntry is an INVITE that rings, as Config.RingingFile keeps it.
type ringEntry struct {
	Invite    string `json:"invite"` // as received
	Source    string `json:"source"`
	Transport string `json:"transport"`
	ToTag     string `json:"toTag"` // of the 180
}

// ringLog keeps the INVITEs that ring in Config.RingingFile, so that the
// next start answers those a crash left unanswered (answerLeftRinging).
type ringLog struct {
	path string
	mu   sync.Mutex
	now  map[string]ringEntry // by Call-ID
	left map[string]time.Time // Call-IDs the previous run left ringing, until when they get 480
}

// add records an INVITE that rings (its 180 sent), remove forgets it.
func (r *ringLog) add(req *sip.Request, dialog *sipgo.DialogServerSession) {
	if r.path == "" {
		return
	}
	e := ringEntry{Invite: req.String(), Source: req.Source(), Transport: req.Transport()}
	if res := dialog.InviteResponse; res != nil && res.To() != nil {
		e.ToTag, _ = res.To().Params.Get("tag")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now[callIDHeader(req)] = e
	r.write()
}

func (r *ringLog) remove(req *sip.Request) {
	if r.path == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.now, callIDHeader(req))
	r.write()
}

// write saves the INVITEs that ring (under mu); a failure only costs the
// answer after a crash.
func (r *ringLog) write() {
	list := make([]ringEntry, 0, len(r.now))
	for _, e := range r.now {
		list = append(list, e)
	}
	b, _ := json.Marshal(list)
	if err := atomicfile.Write(r.path, b, 0o600); err != nil {
		slog.Warn("sip: cannot keep the ringing INVITEs", "file", r.path, "err", err)
	}
}

// leftRinging reports whether req is a retransmission of an INVITE the
// previous run left ringing.
func (r *ringLog) leftRinging(req *sip.Request) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.left[callIDHeader(req)]
	return ok && time.Now().Before(until)
}

// answerLeftRinging answers 480 the INVITEs the previous run left ringing
// (it crashed or was killed while they rang): their callers' client
// transactions, which stopped retransmitting at the 180, still wait for a
// final answer. Sent from the SIP address over UDP to where each came
// from (over TCP their connections are gone and the callers saw it).
func (e *Endpoint) answerLeftRinging() {
	r := &e.rings
	if r.path == "" {
		return
	}
	b, err := os.ReadFile(r.path)
	if err != nil {
		return
	}
	var list []ringEntry
	if err := json.Unmarshal(b, &list); err != nil {
		e.log.Warn("unreadable ringing INVITEs of the previous run", "file", r.path, "err", err)
	}
	for _, le := range list {
		msg, err := sip.ParseMessage([]byte(le.Invite))
		req, ok := msg.(*sip.Request)
		if err != nil || !ok {
			continue
		}
		req.SetSource(le.Source)
		req.SetTransport(le.Transport)
		res := sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil)
		if to := res.To(); to != nil && le.ToTag != "" {
			to.Params.Add("tag", le.ToTag)
		}
		res.AppendHeader(warning("callrec restarted while the call rang; the call has ended"))
		werr := errors.New("its TCP connection is gone")
		if strings.EqualFold(le.Transport, "udp") {
			var to *net.UDPAddr
			if to, werr = net.ResolveUDPAddr("udp", le.Source); werr == nil {
				_, werr = e.udp.WriteTo([]byte(res.String()), to)
			}
		}
		e.log.Info("INVITE left ringing by the previous run answered", "sipCallId", callIDHeader(req), "status", 480, "err", werr)
		r.mu.Lock()
		r.left[callIDHeader(req)] = time.Now().Add(leftRingingTTL)
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.write()
	r.mu.Unlock()
}
