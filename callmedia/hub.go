package callmedia

import (
	"context"
	"sync"
	"time"

	"github.com/callrec/callrec"
)

// DefaultMaxParticipants is how many participants one call holds at once
// unless configured otherwise (--max-participants-per-call).
const DefaultMaxParticipants = 100

// CodeTooManyParticipants is the error code of a join beyond
// Config.MaxParticipants.
const CodeTooManyParticipants = "TooManyParticipants"

// Config configures a Hub. Zero fields take the defaults in brackets.
type Config struct {
	// MaxParticipants is the most participants attached to one call at
	// once [DefaultMaxParticipants]; a rejoin replaces, it does not add.
	MaxParticipants int
	// Budget is the latency contract of publishers and subscribers
	// [DefaultBudget].
	Budget Budget
	// Now is the wall clock [time.Now].
	Now func() time.Time
}

// Hub holds the live media of every call. Build it first and hand it to
// the transports (which attach participants) and to the recorder (which
// subscribes).
type Hub struct {
	cfg   Config
	mu    sync.Mutex
	calls map[string]*call
}

var _ callrec.MediaSource = (*Hub)(nil)

// New returns a Hub.
func New(cfg Config) (*Hub, error) {
	if cfg.MaxParticipants == 0 {
		cfg.MaxParticipants = DefaultMaxParticipants
	}
	if cfg.MaxParticipants < 0 {
		cfg.MaxParticipants = 0
	}
	if cfg.Budget == (Budget{}) {
		cfg.Budget = DefaultBudget
	}
	if err := cfg.Budget.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hub{cfg: cfg, calls: map[string]*call{}}, nil
}

// Budget returns the latency contract publishers and subscribers keep.
func (h *Hub) Budget() Budget { return h.cfg.Budget }

// MaxParticipants returns the most participants a call holds at once.
func (h *Hub) MaxParticipants() int { return h.cfg.MaxParticipants }

// acquire returns callID's media, creating it (and its clock) if nobody uses
// it, and counts one more user; release undoes it.
func (h *Hub) acquire(callID string) *call {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[callID]
	if c == nil {
		c = newCall(callID, h.cfg.Now())
		h.calls[callID] = c
	}
	c.refs++
	return c
}

func (h *Hub) release(c *call) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.refs--; c.refs <= 0 && h.calls[c.id] == c {
		delete(h.calls, c.id)
	}
}

// Subscribe implements callrec.MediaSource: from now on s receives every
// frame and participant event of callID, and every video frame if s is a
// callrec.VideoSubscriber (see PushVideo). The answer gives the call
// clock's position now and the participants present now, in join order; a
// video subscriber's answer also has RequestKeyframe, and every present
// participant's sender is asked for a keyframe.
func (h *Hub) Subscribe(callID string, s callrec.MediaSubscriber) callrec.MediaSubscription {
	c := h.acquire(callID)
	now := h.cfg.Now()
	pos, present, names, id := c.subscribe(s, now)
	var once sync.Once
	sub := callrec.MediaSubscription{Pos: pos, At: now, Present: present, DisplayNames: names, Cancel: func() {
		once.Do(func() {
			c.unsubscribe(id)
			h.release(c)
		})
	}}
	if _, ok := s.(callrec.VideoSubscriber); ok {
		// A new video subscriber's decoders start at a keyframe: ask every
		// sender for one now rather than wait for their next.
		for _, p := range c.participants() {
			p.RequestKeyframe()
		}
		sub.RequestKeyframe = func(rawID string) {
			if p := c.find(rawID); p != nil {
				p.RequestKeyframe()
			}
		}
	}
	return sub
}

// Leg is a transport's handle on one participant's connection.
type Leg interface {
	// Disconnect hangs the leg up, telling the participant why (reason is
	// one of the Reason constants) where its transport can, and returns
	// once the participant has left: Participant.Leave has been called and
	// the transport has done its own bookkeeping (the leave recorded). It
	// may be called more than once, and concurrently.
	Disconnect(reason string)
}

// DisplayNamer is implemented by a Leg that knows its participant's display
// name (the join page's name, a WHIP or SIP display name); the hub carries
// it to subscribers with the join (callrec.ParticipantEvent.DisplayName,
// callrec.MediaSubscription.DisplayNames), for the composite's labels.
type DisplayNamer interface {
	DisplayName() string
}

// Why the hub disconnects a leg.
const (
	// ReasonCallEnded: the call ended (Hangup).
	ReasonCallEnded = "CallEnded"
	// ReasonReplaced: the same participant joined again, from another leg.
	ReasonReplaced = "ReplacedByRejoin"
)

// Attach adds rawID to callID as a publishing participant whose connection
// is leg. A participant already attached under rawID (a rejoin, or a
// reconnect) is disconnected first, and Attach waits until it has left.
// admit, if not nil, runs once the participant may join (the previous one
// has left, the call has room), before anyone sees the join: a transport
// records the join there, and an error from it aborts the attach. Attaches
// to one call are serialised. The join is emitted at the call-clock
// position of joinedAt.
//
// Errors: 409 TooManyParticipants when the call is full; 404 CallEnded
// once Hangup has run for the call; admit's errors.
func (h *Hub) Attach(callID, rawID string, leg Leg, admit func() error) (*Participant, error) {
	c := h.acquire(callID)
	p, err := c.attach(h, rawID, leg, admit)
	if err != nil {
		h.release(c)
		return nil, err
	}
	return p, nil
}

// Hangup ends callID's media: every participant is disconnected at once
// (their legs hung up in parallel) and later attaches are refused, while
// anyone still uses the call's media. It returns when every participant
// has left, or with ctx's error.
func (h *Hub) Hangup(ctx context.Context, callID string) error {
	h.mu.Lock()
	c := h.calls[callID]
	if c != nil {
		c.refs++
	}
	h.mu.Unlock()
	if c == nil {
		return nil
	}
	defer h.release(c)
	legs := c.end()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, l := range legs {
			wg.Go(func() { l.Disconnect(ReasonCallEnded) })
		}
		wg.Wait()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Participants returns the raw ids of callID's participants, in join
// order.
func (h *Hub) Participants(callID string) []string {
	h.mu.Lock()
	c := h.calls[callID]
	h.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.present()
}
