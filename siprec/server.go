package siprec

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"strings"
	"sync"

	gosip "github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec/sip"
)

// Server is callrec's SIPREC recording server (SRS): it takes the
// recording sessions the SIP endpoint hands it.
type Server struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	byDialog map[string]*session
	byCall   map[string]*session
	closed   bool
	// ending runs the ends that a request starts without waiting (at a
	// BYE, or an answer never acknowledged): a session already forgotten
	// may still be ending its call. Close waits for them, so that none
	// outlives the services it uses.
	ending sync.WaitGroup
}

// New returns a Server and makes it cfg.Endpoint's recording server; call
// it before the endpoint's Listen.
func New(cfg Config) (*Server, error) {
	if cfg.Endpoint == nil || cfg.Hub == nil || cfg.Calls == nil || cfg.Recordings == nil {
		return nil, errors.New("siprec: Config.Endpoint, Hub, Calls and Recordings are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "siprec"),
		byDialog: map[string]*session{}, byCall: map[string]*session{}}
	cfg.Endpoint.SetRecordingServer(s)
	return s, nil
}

// Handle implements sip.RecordingServer.
func (s *Server) Handle(req *gosip.Request, tx gosip.ServerTransaction) bool {
	rs := s.find(req)
	switch req.Method {
	case gosip.INVITE:
		switch {
		case rs != nil:
			rs.reoffer(req, tx, true)
		case isSIPREC(req):
			// A new recording session, or (with a To tag) one of a
			// previous run of callrec: taken up as new.
			s.invite(req, tx)
		default:
			return false
		}
	case gosip.UPDATE:
		if rs == nil {
			return false
		}
		rs.reoffer(req, tx, false)
	case gosip.ACK:
		if rs == nil {
			return false
		}
		_ = rs.dialog.ReadAck(req, tx)
	case gosip.BYE:
		if rs == nil {
			return false
		}
		rs.bye(req, tx)
	default:
		return false
	}
	return true
}

// isSIPREC reports whether an INVITE is for the SRS: it requires siprec,
// its Contact has +sip.src (or the bare src of older SRCs), or its body is
// multipart/mixed (a phone's never is).
func isSIPREC(req *gosip.Request) bool {
	if sip.IsSIPREC(req) {
		return true
	}
	if c := req.Contact(); c != nil && c.Params.Has("src") {
		return true
	}
	if ct := req.ContentType(); ct != nil {
		if mt, _, err := mime.ParseMediaType(ct.Value()); err == nil && mt == typeMultipart {
			return true
		}
	}
	return false
}

func (s *Server) find(req *gosip.Request) *session {
	id, err := gosip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byDialog[id]
}

// Sessions returns the serverCallIds of the live recording sessions.
func (s *Server) Sessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.byCall))
	for id := range s.byCall {
		out = append(out, id)
	}
	return out
}

func (s *Server) forget(rs *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byDialog[rs.dialogID] == rs {
		delete(s.byDialog, rs.dialogID)
	}
	if s.byCall[rs.callID] == rs {
		delete(s.byCall, rs.callID)
	}
}

// endLater ends rs on a goroutine that Close waits for; once Close has
// begun, it ends rs before it returns.
func (s *Server) endLater(rs *session, reason string, endCall bool) {
	s.mu.Lock()
	if !s.closed {
		s.ending.Go(func() { rs.end(reason, endCall) })
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	rs.end(reason, endCall)
}

// Close hangs up every recording session (a BYE to its SRC; the calls
// stay active, and a new INVITE for the same session finds them again);
// it returns when they, and the sessions that were ending, have ended, or
// with ctx's error.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	all := make([]*session, 0, len(s.byDialog))
	for _, rs := range s.byDialog {
		all = append(all, rs)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, rs := range all {
			wg.Go(func() { rs.hangup(reasonShuttingDown) })
		}
		wg.Wait()
		s.ending.Wait()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refuse answers an INVITE outside a dialog with r's status and Warning,
// and logs why.
func (s *Server) refuse(log *slog.Logger, req *gosip.Request, tx gosip.ServerTransaction, r *refusal) {
	log.Info("SIPREC request refused", "status", r.code, "why", r.why)
	var extra []gosip.Header
	if r.code == 415 {
		extra = append(extra, gosip.NewHeader("Accept", "application/sdp, "+typeMetadata+", "+typeMultipart))
	}
	sip.Respond(tx, req, r.code, r.reason, append(extra, sip.Warning(r.why))...)
}

func callIDHeader(req *gosip.Request) string {
	if c := req.CallID(); c != nil {
		return c.Value()
	}
	return ""
}

// trimLabel normalises an a=label value.
func trimLabel(s string) string { return strings.TrimSpace(s) }
