package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/callrec/callrec"
)

// Event stream settings.
const (
	// tailPoll is how often the stream looks for new events.
	tailPoll = 200 * time.Millisecond
	// tailBatch bounds the events read per look.
	tailBatch = 500
	// tailKeepAlive is how often an idle stream sends a comment line, so
	// that proxies and clients see it is alive.
	tailKeepAlive = 15 * time.Second
)

// streams ends the open event streams when the server shuts down (an
// http.Server's Shutdown waits for them otherwise).
type streams struct {
	once sync.Once
	done chan struct{}
}

func (st *streams) closed() chan struct{} {
	st.once.Do(func() {
		if st.done == nil {
			st.done = make(chan struct{})
		}
	})
	return st.done
}

// CloseStreams ends every open event stream; register it with
// http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() {
	ch := s.streams.closed()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// tailEvents serves GET /events/stream: the events stored from now on (or
// after ?after=POSITION, or the Last-Event-ID a reconnecting client sends)
// as server-sent events. Each message has the feed position as its id, the
// event type as its event name, and the callrec.Event as JSON data.
func (s *Server) tailEvents(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(w, r, http.MethodGet)
	}
	ctx := r.Context()
	after, err := tailStart(r)
	if err != nil {
		return err
	}
	if after < 0 {
		if after, err = s.cfg.Events.LastEventPosition(ctx); err != nil {
			return err
		}
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return callrec.Errorf(callrec.KindUnsupported, callrec.CodeInvalidRequest, "this connection cannot stream")
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	// The opening comment names the position the stream starts after:
	// callautomation's Follow resumes from it after a disconnection.
	fmt.Fprintf(w, ": callrec events after %d\n\n", after)
	flusher.Flush()

	poll := time.NewTicker(tailPoll)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
		evs, pos, err := s.cfg.Events.EventsAfter(ctx, after, tailBatch)
		if err != nil {
			s.log.WarnContext(ctx, "event stream: reading events", "err", err)
			return nil // the response has started; the client reconnects
		}
		for i, e := range evs {
			data, err := json.Marshal(e)
			if err != nil {
				return nil
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", pos[i], e.Type, data); err != nil {
				return nil
			}
			after = pos[i]
		}
		if len(evs) > 0 || time.Since(lastWrite) > tailKeepAlive {
			if len(evs) == 0 {
				fmt.Fprint(w, ": keep-alive\n\n")
			}
			flusher.Flush()
			lastWrite = time.Now()
		}
		if len(evs) == tailBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.streams.closed():
			return nil
		case <-poll.C:
		}
	}
}

// tailStart reads where a stream starts: ?after=N, else Last-Event-ID,
// else -1 (from now on).
func tailStart(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("after")
	if v == "" {
		v = r.Header.Get("Last-Event-ID")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, callrec.FieldErrorf("after", callrec.CodeInvalidRequest, "stream position %q is not a non-negative integer", v)
	}
	return n, nil
}

// routeEvents dispatches the event routes: /eventSubscriptions…,
// /events/deadLetters… and /events/stream.
func (s *Server) routeEvents(w http.ResponseWriter, r *http.Request, segs []string) {
	if segs[0] == "eventSubscriptions" && len(segs) == 3 && segs[2] == "validate" {
		s.validateSubscription(w, r, segs[1])
		return
	}
	s.signed(w, r, false, func(body []byte) error {
		switch {
		case segs[0] == "eventSubscriptions":
			return s.routeSubscriptions(w, r, segs[1:], body)
		case len(segs) >= 2 && segs[1] == "deadLetters":
			return s.routeDeadLetters(w, r, segs[2:])
		case len(segs) == 2 && segs[1] == "stream":
			return s.tailEvents(w, r)
		}
		return routeNotFound(r)
	})
}
