package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec"
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
	if err := dialog.Respond(180, "Ringing", nil); err != nil {
		log.Info("180 not sent", "err", err)
		return "", nil, false
	}
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
