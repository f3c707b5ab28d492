package httpapi

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/callrec/callrec"
)

// Defaults of the limits that keep clients, signed or not, from holding
// the server's memory and connections.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultBodyTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultBusyWait          = time.Second
	// DefaultMaxVerifying caps the signed requests being verified at once;
	// with DefaultMaxBodyBytes that bounds the bodies held to 64 MiB.
	DefaultMaxVerifying = 64
	// maxHeaderBytes bounds a request's line and headers (net/http's default
	// is 1 MiB). The SDKs send a few hundred bytes.
	maxHeaderBytes = 64 << 10
	// rejectDrain bounds how long a refused request's body is drained.
	rejectDrain = time.Second
)

// Timeouts bound how long a client may take. Zero fields take the defaults.
//
// There is no write timeout: downloads of long recordings and the event
// stream (GET /events/stream) last as long as they need, and a server-wide
// http.Server.WriteTimeout would cut them. A slow reader of a download holds
// only its own, signed, connection. Nor is there a server-wide ReadTimeout,
// which would cancel the event stream's context when it fired: Body bounds
// each request body instead, from the end of its headers to its last byte.
type Timeouts struct {
	// ReadHeader bounds reading a request line and its headers.
	ReadHeader time.Duration
	// Body bounds reading a request body; over it, 408 and the connection
	// is closed.
	Body time.Duration
	// Idle bounds how long a kept-alive connection waits for its next
	// request.
	Idle time.Duration
	// BusyWait is how long a signed request waits for a verification slot
	// (Config.MaxVerifying) before it is answered 503 ServerBusy.
	BusyWait time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = DefaultReadHeaderTimeout
	}
	if t.Body <= 0 {
		t.Body = DefaultBodyTimeout
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	if t.BusyWait <= 0 {
		t.BusyWait = DefaultBusyWait
	}
	return t
}

// HTTPServer returns an http.Server that serves s with its timeouts and
// header limit, and ends the event streams when it shuts down. base is the
// context of every request; errorLog receives net/http's own complaints.
func (s *Server) HTTPServer(base context.Context, errorLog *log.Logger) *http.Server {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.timeouts.ReadHeader,
		IdleTimeout:       s.timeouts.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	srv.RegisterOnShutdown(s.CloseStreams)
	return srv
}

// bodyDeadline gives r's body Timeouts.Body to arrive, on every route
// (signed, media and the rest). The deadline is lifted once the body has
// been read to its end, so that a long response is not cut.
func (s *Server) bodyDeadline(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(s.timeouts.Body)) != nil {
		return // not a connection that takes deadlines
	}
	r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
}

// deadlineBody lifts the connection's read deadline when the body ends.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// acquireVerify takes one of Config.MaxVerifying slots for a signed request
// being verified, waiting up to Timeouts.BusyWait. The caller calls release
// once the body is read and verified.
func (s *Server) acquireVerify(ctx context.Context) (release func(), err error) {
	release = func() { <-s.verifying }
	select {
	case s.verifying <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(s.timeouts.BusyWait)
	defer t.Stop()
	select {
	case s.verifying <- struct{}{}:
		return release, nil
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, callrec.Errorf(callrec.KindUnavailable, callrec.CodeServerBusy,
		"the server is verifying %d requests already; retry in a second", cap(s.verifying))
}

// rejectEarly answers a signed request refused before its body was used,
// and closes the connection rather than read what remains of the body. A
// client that sent Expect: 100-continue is never told to continue.
func (s *Server) rejectEarly(w http.ResponseWriter, r *http.Request, err error, content bool) {
	w.Header().Set("Connection", "close")
	if r.ContentLength != 0 {
		// net/http does not read a large remainder (over 256 KiB) at all;
		// a smaller one it drains, for a second at most, so that the
		// client is not reset before it reads the answer.
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(rejectDrain))
	}
	if callrec.CodeOf(err) == callrec.CodeServerBusy {
		w.Header().Set("Retry-After", "1")
	}
	s.writeError(w, r, err, content)
}
