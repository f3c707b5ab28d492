package cluster

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Redirect sends the joins of a call hosted by another node to that node,
// with 307 (the method and body are kept: a WHIP POST is posted again
// there): POST /calls/{id}/whip and the join page, /join?call=ID. The
// rest goes to next.
func (m *Member) Redirect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if callID := joinedCall(r); callID != "" {
			if n, ok := m.owner(r.Context(), callID); ok {
				http.Redirect(w, r, strings.TrimRight(n.URL, "/")+r.URL.RequestURI(), http.StatusTemporaryRedirect)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// joinedCall returns the call a join request is for, or "".
func joinedCall(r *http.Request) string {
	p := r.URL.EscapedPath()
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/calls/") && strings.HasSuffix(p, "/whip"):
		seg := strings.TrimSuffix(strings.TrimPrefix(p, "/calls/"), "/whip")
		if strings.Contains(seg, "/") {
			return ""
		}
		id, err := url.PathUnescape(seg)
		if err != nil {
			return ""
		}
		return id
	case r.Method == http.MethodGet && (p == "/join" || p == "/join/"):
		return r.URL.Query().Get("call")
	}
	return ""
}

// Handler returns the node's HTTP handler: the other nodes' internal
// requests, joins redirected to their call's node, then api.
func (m *Member) Handler(api http.Handler, internal http.Handler) http.Handler {
	redirect := m.Redirect(api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, internalPrefix) {
			internal.ServeHTTP(w, r)
			return
		}
		redirect.ServeHTTP(w, r)
	})
}

// SIPRedirect names the SIP address (host:port) of the node hosting
// callID when that is another node with a SIP endpoint (sip.Config's
// Redirect: the INVITE is answered 302 there).
func (m *Member) SIPRedirect(ctx context.Context, callID string) (string, bool) {
	n, ok := m.owner(ctx, callID)
	if !ok {
		return "", false
	}
	for _, a := range n.MediaAddrs {
		if addr, ok := strings.CutPrefix(a, "sip:"); ok {
			return addr, true
		}
	}
	return "", false
}
