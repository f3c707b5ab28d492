// Package httpapi is callrec's REST edge: the ACS Call Recording routes,
// the Call Automation call-connection routes (callconnections.go), the
// content routes (download, range, delete), callrec's own call routes, and
// the mount point for the media routes (WHIP, join page), the health probes
// (health.go) and the HTTP metrics (metrics.go). It verifies HMAC signatures
// before it reads a body, limits bodies in size and time and the requests
// being verified in number (limits.go), and maps coded callrec errors to
// HTTP statuses and ACS error bodies. Routing works on the escaped request
// path, because ACS SDKs percent-encode ids that contain '/', '+' and ':'.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/hmacauth"
)

// DefaultMaxBodyBytes limits request bodies on signed routes.
const DefaultMaxBodyBytes = 1 << 20

// TokenMinter issues media join tokens (implemented by jointoken.Issuer).
type TokenMinter interface {
	Issue(ctx context.Context, callID, rawID string, ttl time.Duration) (token string, expiresOn time.Time, err error)
}

// Config wires a Server.
type Config struct {
	Calls      callrec.CallService
	Recordings callrec.RecordingService
	// CallConnections serves Call Automation call control
	// (/calling/callConnections); nil answers those routes 404.
	CallConnections CallConnections
	// Content serves recorded documents; nil answers 404 on content routes.
	Content callrec.ContentStore
	// Tokens issues join tokens; nil answers 404 on the token route.
	Tokens   TokenMinter
	Verifier *hmacauth.Verifier
	// Media serves the unsigned media routes: /calls/{id}/whip, /whip/…,
	// and the join page with its assets under /join. Nil disables them.
	Media http.Handler
	// JoinTokens verifies join tokens for GET /calls/{id}/status (the join
	// page's view of its call); nil disables that route.
	JoinTokens JoinVerifier
	// Ready says whether the node is ready for work (/readyz; see Health).
	// Nil means always ready.
	Ready func(context.Context) error
	// Registerer receives the HTTP metrics (requests by route pattern and
	// status, durations). Nil serves none.
	Registerer prometheus.Registerer
	// Events manages event subscriptions, dead letters and the event
	// stream; nil disables those routes.
	Events       EventAdmin
	PublicURL    string
	MaxBodyBytes int64
	// DefaultFormat is what a recording start that names no content,
	// channel or format records [mp4: mixed audioVideo, as ACS]; wav or mp3
	// record mixed audio.
	DefaultFormat callrec.RecordingFormat
	// Timeouts bound how long clients may take; zero fields take defaults.
	Timeouts Timeouts
	// MaxVerifying caps the signed requests being verified (signature
	// checked, body read and hashed) at once; 0 means DefaultMaxVerifying.
	// Over it, a request waits Timeouts.BusyWait, then is answered 503.
	MaxVerifying int
	Logger       *slog.Logger
}

// Server is the HTTP handler of callrec.
type Server struct {
	cfg       Config
	log       *slog.Logger
	timeouts  Timeouts
	verifying chan struct{} // a slot per request being verified
	streams   streams
	metrics   *httpMetrics
	health    http.Handler
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.MaxVerifying <= 0 {
		cfg.MaxVerifying = DefaultMaxVerifying
	}
	return &Server{cfg: cfg, log: log, timeouts: cfg.Timeouts.withDefaults(), verifying: make(chan struct{}, cfg.MaxVerifying),
		metrics: newHTTPMetrics(cfg.Registerer), health: Health(cfg.Ready)}
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.metrics.begin(&w, r)()
	if id := r.Header.Get("x-ms-client-request-id"); id != "" {
		w.Header().Set("x-ms-client-request-id", id)
	}
	s.bodyDeadline(w, r)
	segs := splitPath(r.URL.EscapedPath())
	switch {
	case len(segs) >= 2 && segs[0] == "calling" && strings.HasPrefix(segs[1], "callConnections"):
		s.signed(w, r, false, func(body []byte) error { return s.routeCallConnections(w, r, segs[1:], body) })
	case len(segs) >= 2 && segs[0] == "calling" && segs[1] == "recordings":
		s.signed(w, r, false, func(body []byte) error { return s.routeRecordings(w, r, segs[2:], body) })
	case len(segs) >= 1 && segs[0] == "v1" && len(segs) >= 3 && segs[1] == "objects":
		s.signed(w, r, true, func([]byte) error { return s.routeContent(w, r, segs[2:]) })
	case len(segs) == 3 && segs[0] == "calls" && segs[2] == "whip", len(segs) >= 1 && segs[0] == "whip",
		len(segs) >= 1 && segs[0] == "join":
		if s.cfg.Media == nil {
			s.writeError(w, r, routeNotFound(r), false)
			return
		}
		s.cfg.Media.ServeHTTP(w, r)
	case len(segs) == 3 && segs[0] == "calls" && segs[2] == "status" && s.cfg.JoinTokens != nil:
		s.serveJoinStatus(w, r, segs[1])
	case len(segs) >= 1 && segs[0] == "calls":
		s.signed(w, r, false, func(body []byte) error { return s.routeCalls(w, r, segs[1:], body) })
	case len(segs) >= 1 && (segs[0] == "eventSubscriptions" || segs[0] == "events") && s.cfg.Events != nil:
		s.routeEvents(w, r, segs)
	case len(segs) == 1 && (segs[0] == "healthz" || segs[0] == "readyz"):
		s.health.ServeHTTP(w, r)
	default:
		s.writeError(w, r, routeNotFound(r), false)
	}
}

// splitPath splits an escaped path into its still-escaped segments.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// unescapeID decodes one escaped path segment into an id.
func unescapeID(seg string) (string, error) {
	id, err := url.PathUnescape(seg)
	if err != nil || id == "" {
		return "", callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidID, "the id in the path is not validly percent-encoded")
	}
	return id, nil
}

func routeNotFound(r *http.Request) error {
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeRouteNotFound, "no route for %s %s", r.Method, r.URL.EscapedPath())
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow ...string) error {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return callrec.Errorf(callrec.KindMethodNotAllowed, callrec.CodeMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.EscapedPath())
}
