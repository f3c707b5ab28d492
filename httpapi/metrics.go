package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// routePatterns are the route labels of the HTTP metrics: every route this
// server answers, with its variable segments named. A request is labelled
// with the first pattern its path matches, or "unmatched", so that the
// labels stay a fixed set whatever paths clients send. {x} matches one
// segment without a literal ':' (ids carry theirs escaped); {x}:action
// matches a segment ending in that action. A route added to the server is
// added here (TestHTTPMetricsRoutes checks a request to each).
var routePatterns = compileRoutes(
	"/calling/recordings",
	"/calling/recordings/{recordingId}:pause",
	"/calling/recordings/{recordingId}:resume",
	"/calling/recordings/{recordingId}",
	"/calling/recordings/{recordingId}/result",
	"/calling/callConnections",
	"/calling/callConnections:answer",
	"/calling/callConnections:reject",
	"/calling/callConnections:redirect",
	"/calling/callConnections/{callConnectionId}",
	"/calling/callConnections/{callConnectionId}:terminate",
	"/calling/callConnections/{callConnectionId}/participants",
	"/calling/callConnections/{callConnectionId}/participants:add",
	"/calling/callConnections/{callConnectionId}/participants:remove",
	"/calling/callConnections/{callConnectionId}/participants:mute",
	"/calling/callConnections/{callConnectionId}/participants/{participantRawId}",
	"/v1/objects/{documentId}",
	"/v1/objects/{documentId}/content/{part}",
	"/calls",
	"/calls/{serverCallId}",
	"/calls/{serverCallId}/tokens",
	"/calls/{serverCallId}/whip",
	"/calls/{serverCallId}/status",
	"/whip/{session}",
	"/join",
	"/join/{asset}",
	"/eventSubscriptions",
	"/eventSubscriptions/{name}",
	"/eventSubscriptions/{name}/validate",
	"/events/deadLetters",
	"/events/deadLetters/{id}:replay",
	"/events/stream",
	"/healthz",
	"/readyz",
)

// unmatchedRoute labels requests that match no route pattern.
const unmatchedRoute = "unmatched"

type routePattern struct {
	text string
	segs []string
}

func compileRoutes(patterns ...string) []routePattern {
	out := make([]routePattern, len(patterns))
	for i, p := range patterns {
		out[i] = routePattern{text: p, segs: splitPath(p)}
	}
	return out
}

// routeOf returns the route pattern of an escaped path.
func routeOf(escapedPath string) string {
	segs := splitPath(escapedPath)
	for _, p := range routePatterns {
		if p.match(segs) {
			return p.text
		}
	}
	return unmatchedRoute
}

func (p routePattern) match(segs []string) bool {
	if len(segs) != len(p.segs) {
		return false
	}
	for i, ps := range p.segs {
		s := segs[i]
		if !strings.HasPrefix(ps, "{") {
			if s != ps {
				return false
			}
			continue
		}
		_, action, hasAction := strings.Cut(ps, "}:")
		_, got := splitAction(s)
		if s == "" || (hasAction && got != action) || (!hasAction && strings.Contains(s, ":")) {
			return false
		}
	}
	return true
}

// httpMetrics are the REST edge's Prometheus collectors.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered on the API port, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "callrec", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request on the API port, by route pattern (an event stream lasts as long as its client stays).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

// begin starts measuring a request: it puts in *w a writer that notes the
// status, and returns the function that counts the request when it is
// answered.
func (m *httpMetrics) begin(w *http.ResponseWriter, r *http.Request) func() {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: *w}
	*w = sw
	return func() {
		route := routeOf(r.URL.EscapedPath())
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.WithLabelValues(methodLabel(r.Method), route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}
}

// methodLabel keeps the method label a fixed set.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter notes the status a handler answers with. It passes Flush
// on (event streams) and unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
