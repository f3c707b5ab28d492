package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/ingest/rtcrecv"
	"github.com/callrec/callrec/web"
)

// Server is the WebRTC transport: the WHIP endpoint and the join page. Its
// sessions publish into the call media core (Config.Hub).
type Server struct {
	cfg     Config
	log     *slog.Logger
	media   *rtcrecv.Endpoint
	latency int64 // samples
	metrics *metrics
	// decodePhase deals sessions their decode phase in turn (decodeEvery).
	decodePhase atomic.Uint64

	wg sync.WaitGroup // started sessions, until their leave is recorded

	mu       sync.Mutex
	closed   bool
	sessions map[string]*session // by session id
	ended    map[string]string   // recently ended sessions: id → reason
	endedIDs []string            // their ids, oldest first
}

// maxEndedSessions is how many ended sessions GET /whip/{session} still
// knows the end of.
const maxEndedSessions = 4096

// New builds a Server and binds its media sockets; its media workers sleep
// until participants join. It fails if its delivery delay does not fit the
// hub's latency budget.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := cfg.checkBudget(); err != nil {
		return nil, err
	}
	media, err := rtcrecv.Listen(cfg.Media)
	if err != nil {
		return nil, fmt.Errorf("ingest: media sockets: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "ingest"),
		media:    media,
		latency:  int64(cfg.Latency) * callrec.SampleRate / int64(time.Second),
		sessions: map[string]*session{},
		ended:    map[string]string{},
	}
	s.metrics = newMetrics(cfg.Registerer)
	return s, nil
}

// Handler serves POST /calls/{id}/whip, DELETE and PATCH /whip/{session},
// GET /whip/{session} (how the session stands), and the join page at
// /join. These routes are not HMAC-signed: WHIP takes
// a bearer join token, and the page is public.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /calls/{id}/whip", s.handleWHIPPost)
	mux.HandleFunc("OPTIONS /calls/{id}/whip", s.handleWHIPOptions)
	mux.HandleFunc("DELETE /whip/{session}", s.handleWHIPDelete)
	mux.HandleFunc("GET /whip/{session}", s.handleWHIPGet)
	mux.HandleFunc("PATCH /whip/{session}", s.handleWHIPPatch)
	mux.Handle("GET /join", web.JoinPage())
	mux.Handle("GET /join/", web.JoinPage())
	return mux
}

// admit makes a negotiated session known, unless the server is closing.
func (s *Server) admit(sess *session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return callrec.Errorf(callrec.KindUnavailable, "ServerShuttingDown", "the server is shutting down")
	}
	s.sessions[sess.id] = sess
	s.wg.Add(1) // done when the session's leave is recorded
	return nil
}

// forget undoes admit for a session whose leave is recorded, or that never
// started.
func (s *Server) forget(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess.id)
	if reason := sess.endReason(); reason != "" {
		s.ended[sess.id] = reason
		s.endedIDs = append(s.endedIDs, sess.id)
		if len(s.endedIDs) > maxEndedSessions {
			delete(s.ended, s.endedIDs[0])
			s.endedIDs = s.endedIDs[1:]
		}
	}
	s.mu.Unlock()
	s.wg.Done()
}

// sessionEnded runs after a session's leave, off the media worker.
func (s *Server) sessionEnded(sess *session) {
	s.metrics.setParticipants(sess.callID, len(s.cfg.Hub.Participants(sess.callID)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.cfg.Calls.LeaveParticipant(ctx, sess.callID, sess.rawID); err != nil {
		sess.log.Warn("record leave", "err", err)
	}
	s.forget(sess)
}

func (s *Server) sessionByID(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// endedSession returns why session id ended, if it ended recently.
func (s *Server) endedSession(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reason, ok := s.ended[id]
	return reason, ok
}

// Close ends every session (each emits its leave and records it), refuses
// new ones, and waits for them until ctx is done.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	var errs []error
	var wg sync.WaitGroup
	var errMu sync.Mutex
	for _, sess := range sessions {
		wg.Go(func() {
			if err := sess.closeContext(ctx); err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		})
	}
	wg.Wait()
	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	if err := s.media.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// FrameDelay bounds how long after the wall time of its call-clock position
// a frame is delivered, in normal operation (see frameDelay); New checks it
// against the hub's latency budget.
func (s *Server) FrameDelay() time.Duration { return frameDelay(s.cfg.Latency) }
