package sip

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Registration bounds: what a REGISTER without an expiry gets, the most
// it gets, and the least it may ask (less is 423 Interval Too Brief).
const (
	defaultExpires = time.Hour
	maxExpires     = time.Hour
	minExpires     = time.Minute
)

// binding is where a registered user is reached: its Contact, until
// expires.
type binding struct {
	contact   sip.Uri
	transport string
	expires   time.Time
}

// authorize checks an out-of-dialog request's credentials when users are
// configured, and answers it (401 with a challenge, 403, 400) when they
// do not pass. It returns the authenticated user, or ok true without one
// when the endpoint asks for no credentials.
func (e *Endpoint) authorize(req *sip.Request, tx sip.ServerTransaction) (user *User, ok bool) {
	if e.guard == nil {
		return nil, true
	}
	v := e.guard.check(req)
	if v.user != nil {
		return v.user, true
	}
	log := e.log.With("method", req.Method.String(), "sipCallId", callIDHeader(req), "source", req.Source())
	switch v.code {
	case 401:
		if v.stale {
			log.Info("stale nonce: challenged again")
		}
		respond(tx, req, 401, "Unauthorized", e.guard.challenges(v.realm, v.stale)...)
	case 403:
		log.Warn("SIP authentication failed", "why", v.reason)
		respond(tx, req, 403, "Forbidden", warning(v.reason))
	default:
		log.Info("SIP credentials refused", "status", v.code, "why", v.reason)
		respond(tx, req, v.code, "Bad Request", warning(v.reason))
	}
	return nil, false
}

// onRegister keeps a configured user's binding (RFC 3261 §10.3): one
// Contact a user, the last registered; Expires 0 or Contact * removes it.
func (e *Endpoint) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	user, ok := e.authorize(req, tx)
	if !ok {
		return
	}
	if to := req.To(); to == nil || to.Address.User != user.Name {
		respond(tx, req, 403, "Forbidden", warning("a user may register only its own address"))
		return
	}
	expires := defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			respond(tx, req, 400, "Bad Request", warning("malformed Expires header"))
			return
		}
		expires = time.Duration(n) * time.Second
	}
	contacts := req.GetHeaders("Contact")
	var contact *sip.ContactHeader
	for _, h := range contacts {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			respond(tx, req, 400, "Bad Request", warning("malformed Contact header"))
			return
		}
		contact = c
	}
	if contact != nil && contact.Address.Wildcard {
		if len(contacts) > 1 || expires != 0 {
			respond(tx, req, 400, "Bad Request", warning("Contact * needs Expires: 0 and no other Contact"))
			return
		}
		contact = nil
		e.unbind(user.Name)
	} else if contact != nil {
		if v, ok := contact.Params.Get("expires"); ok {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				respond(tx, req, 400, "Bad Request", warning("malformed expires parameter"))
				return
			}
			expires = time.Duration(n) * time.Second
		}
		switch {
		case expires == 0:
			e.unbind(user.Name)
			contact = nil
		case expires < minExpires:
			respond(tx, req, 423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.Itoa(int(minExpires/time.Second))))
			return
		default:
			expires = min(expires, maxExpires)
			e.register(user.Name, binding{contact: contact.Address, transport: req.Transport(), expires: time.Now().Add(expires)})
			e.log.Info("registered", "user", user.Name, "contact", contact.Address.String(), "expires", expires)
		}
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if b, ok := e.binding(user.Name); ok {
		left := max(time.Until(b.expires).Round(time.Second), time.Second)
		c := sip.ContactHeader{Address: b.contact, Params: sip.NewParams()}
		c.Params.Add("expires", strconv.Itoa(int(left/time.Second)))
		res.AppendHeader(&c)
		res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(left/time.Second))))
	}
	_ = tx.Respond(res)
}

func (e *Endpoint) register(user string, b binding) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bindings[user] = b
}

func (e *Endpoint) unbind(user string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.bindings, user)
}

// binding returns a user's registration while it lasts.
func (e *Endpoint) binding(user string) (binding, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.bindings[user]
	if ok && time.Now().After(b.expires) {
		delete(e.bindings, user)
		return binding{}, false
	}
	return b, ok
}
