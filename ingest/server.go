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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

// Server is the live media ingest: the WHIP endpoint, the join page, and a
// callrec.MediaSource for the recorder.
type Server struct {
	cfg      Config
	log      *slog.Logger
	media    *rtcrecv.Endpoint
	latency  int64 // samples
	metrics  *metrics
	registry *prometheus.Registry // nil when cfg.Registerer was given
	// decodePhase deals sessions their decode phase in turn (decodeEvery).
	decodePhase atomic.Uint64

	baseCtx context.Context // for work that outlives a request (leave bookkeeping)
	cancel  context.CancelFunc
	wg      sync.WaitGroup // registered sessions, until their leave is recorded

	mu       sync.Mutex
	closed   bool
	calls    map[string]*callRef
	sessions map[string]*session // by session id
}

// callRef counts the users of a callMedia (sessions, subscriptions, requests
// in flight); the call's media state is dropped when nobody uses it.
type callRef struct {
	media *callMedia
	refs  int
}

var _ callrec.MediaSource = (*Server)(nil)

// New builds a Server and binds its media sockets; its media workers sleep
// until participants join.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	media, err := rtcrecv.Listen(cfg.ICE.endpointConfig(cfg.Logger))
	if err != nil {
		return nil, fmt.Errorf("ingest: media sockets: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "ingest"),
		media:    media,
		latency:  int64(cfg.Latency) * callrec.SampleRate / int64(time.Second),
		calls:    map[string]*callRef{},
		sessions: map[string]*session{},
	}
	reg := cfg.Registerer
	if reg == nil {
		s.registry = prometheus.NewRegistry()
		reg = s.registry
	}
	s.metrics = newMetrics(reg)
	s.baseCtx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Handler serves POST /calls/{id}/whip, DELETE and PATCH /whip/{session},
// and the join page at /join. These routes are not HMAC-signed: WHIP takes
// a bearer join token, and the page is public.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /calls/{id}/whip", s.handleWHIPPost)
	mux.HandleFunc("OPTIONS /calls/{id}/whip", s.handleWHIPOptions)
	mux.HandleFunc("DELETE /whip/{session}", s.handleWHIPDelete)
	mux.HandleFunc("PATCH /whip/{session}", s.handleWHIPPatch)
	mux.Handle("GET /join", joinPageHandler())
	mux.Handle("GET /join/", joinPageHandler())
	return mux
}

// MetricsHandler serves the ingest metrics in the Prometheus text format.
// With Config.Registerer set, serve that registry instead; this handler
// then serves nothing.
func (s *Server) MetricsHandler() http.Handler {
	if s.registry == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
}

// Subscribe implements callrec.MediaSource.
func (s *Server) Subscribe(callID string, sub callrec.MediaSubscriber) (int64, func()) {
	call := s.acquireCall(callID)
	id := call.subscribe(sub)
	now := call.clock.position(time.Now())
	var once sync.Once
	return now, func() {
		once.Do(func() {
			call.unsubscribe(id)
			s.releaseCall(callID)
		})
	}
}

// Participants returns the raw ids publishing media in callID now.
func (s *Server) Participants(callID string) []string {
	s.mu.Lock()
	ref := s.calls[callID]
	s.mu.Unlock()
	if ref == nil {
		return nil
	}
	return ref.media.participants()
}

// Stats returns the stream statistics of a participant publishing now.
func (s *Server) Stats(callID, rawID string) (StreamStats, bool) {
	s.mu.Lock()
	ref := s.calls[callID]
	s.mu.Unlock()
	if ref == nil {
		return StreamStats{}, false
	}
	sess := ref.media.session(rawID)
	if sess == nil {
		return StreamStats{}, false
	}
	return sess.statsSnapshot(), true
}

func (s *Server) acquireCall(id string) *callMedia {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := s.calls[id]
	if ref == nil {
		ref = &callRef{media: newCallMedia(id, time.Now())}
		s.calls[id] = ref
	}
	ref.refs++
	return ref.media
}

func (s *Server) releaseCall(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref := s.calls[id]; ref != nil {
		if ref.refs--; ref.refs <= 0 {
			delete(s.calls, id)
		}
	}
}

// register makes a negotiated session live, unless the server is closing.
func (s *Server) register(sess *session) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return callrec.Errorf(callrec.KindUnavailable, "ServerShuttingDown", "the server is shutting down")
	}
	s.sessions[sess.id] = sess
	s.calls[sess.call.id].refs++ // held until sessionEnded
	s.wg.Add(1)                  // done when the session's leave is recorded
	s.mu.Unlock()
	n := sess.call.addSession(sess)
	s.metrics.setParticipants(sess.call.id, n)
	s.metrics.sessionCreated()
	if err := sess.start(); err != nil {
		n := sess.call.removeSession(sess)
		s.metrics.setParticipants(sess.call.id, n)
		s.mu.Lock()
		delete(s.sessions, sess.id)
		s.mu.Unlock()
		s.releaseCall(sess.call.id)
		s.wg.Done()
		return err
	}
	return nil
}

// sessionEnded runs after a session's leave event, off the media worker.
func (s *Server) sessionEnded(sess *session) {
	n := sess.call.removeSession(sess)
	s.metrics.setParticipants(sess.call.id, n)
	s.mu.Lock()
	delete(s.sessions, sess.id)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.baseCtx), 10*time.Second)
	defer cancel()
	if err := s.cfg.Calls.LeaveParticipant(ctx, sess.call.id, sess.rawID); err != nil {
		sess.log.Warn("record leave", "err", err)
	}
	s.releaseCall(sess.call.id)
}

func (s *Server) sessionByID(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
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
	s.cancel()
	return errors.Join(errs...)
}

// FrameDelay bounds how long after the wall time of its call-clock position
// a frame is delivered, in normal operation: the reorder window, one frame,
// the wait for the next decode burst and one media poll (network delay
// comes on top). A recorder that stops at
// position P waits this long before finalising, to have every
// participant's audio (or silence) up to P.
func (s *Server) FrameDelay() time.Duration {
	return s.cfg.Latency + time.Second/50 + decodeDelay + mediaPollInterval
}
