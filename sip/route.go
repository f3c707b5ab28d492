package sip

import (
	"fmt"
	"strings"
)

// A Route says what an inbound INVITE whose Request-URI user matches
// Pattern does, when that user is not the serverCallId of a call:
// raise IncomingCall (Incoming), or join the call JoinCall directly.
//
// Its text form, in --sip-route, is PATTERN=ACTION: PATTERN is a
// Request-URI user ("+18005550100"), a prefix ending in "*" ("+1800*"), or
// "*" for every user; ACTION is "incoming" or "call:<serverCallId>".
type Route struct {
	Pattern  string
	Incoming bool
	JoinCall string
}

// ParseRoute reads a route's text form.
func ParseRoute(s string) (Route, error) {
	pattern, action, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || pattern == "" || (strings.Contains(pattern, "*") && !strings.HasSuffix(pattern, "*")) ||
		strings.Count(pattern, "*") > 1 {
		return Route{}, fmt.Errorf("sip: route %q: want PATTERN=incoming or PATTERN=call:<serverCallId>, PATTERN a Request-URI user, a prefix ending in *, or *", s)
	}
	switch {
	case action == "incoming":
		return Route{Pattern: pattern, Incoming: true}, nil
	case strings.HasPrefix(action, "call:") && len(action) > len("call:"):
		return Route{Pattern: pattern, JoinCall: action[len("call:"):]}, nil
	}
	return Route{}, fmt.Errorf("sip: route %q: the action %q is not incoming or call:<serverCallId>", s, action)
}

// String returns the route's text form.
func (r Route) String() string {
	if r.Incoming {
		return r.Pattern + "=incoming"
	}
	return r.Pattern + "=call:" + r.JoinCall
}

func (r Route) matches(user string) bool {
	if prefix, ok := strings.CutSuffix(r.Pattern, "*"); ok {
		return strings.HasPrefix(user, prefix)
	}
	return user == r.Pattern
}

// routing is what an INVITE for user does: join call (callID), ring
// (IncomingCall), or neither (404).
type routing struct {
	callID string
	ring   bool
}

// routeOf applies the routes to a Request-URI user that is not a call.
// With no route, every user rings; without an IncomingCall handler,
// nothing rings.
func (e *Endpoint) routeOf(user string) (routing, bool) {
	if len(e.cfg.Routes) == 0 {
		return routing{ring: true}, e.cfg.Incoming != nil
	}
	for _, r := range e.cfg.Routes {
		if r.matches(user) {
			if r.Incoming {
				return routing{ring: true}, e.cfg.Incoming != nil
			}
			return routing{callID: r.JoinCall}, true
		}
	}
	return routing{}, false
}
