package callmedia

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec"
)

// subscription is one subscriber of a call's media.
type subscription struct {
	id    uint64
	sub   callrec.MediaSubscriber
	video callrec.VideoSubscriber // sub, if it takes video
}

// call is one call's live media: its clock, its participants and its
// subscribers. Frames fan out to subscribers without a lock: the subscriber
// list is an immutable slice swapped on change. Participant events are
// emitted under mu, so that a subscription's list of present participants
// and the events it receives afterwards agree.
type call struct {
	id    string
	clock Clock
	refs  int // guarded by Hub.mu

	subs atomic.Pointer[[]subscription]

	joinMu sync.Mutex // serialises attaches, so that a rejoin replaces cleanly
	mu     sync.Mutex // guards what follows, and subscription changes
	ended  bool
	parts  []*Participant // attached, in join order
	// ends is where each participant's last leg stopped on the call clock;
	// a rejoin starts no earlier, so a participant's frames never overlap
	// across legs.
	ends    map[string]int64
	nextSub uint64
}

func newCall(id string, now time.Time) *call {
	c := &call{id: id, clock: Clock{Epoch: now}, ends: map[string]int64{}}
	c.subs.Store(&[]subscription{})
	return c
}

func (c *call) subscribe(s callrec.MediaSubscriber, now time.Time) (pos int64, present []string, names map[string]string, id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextSub++
	video, _ := s.(callrec.VideoSubscriber)
	next := append(append([]subscription(nil), *c.subs.Load()...), subscription{id: c.nextSub, sub: s, video: video})
	c.subs.Store(&next)
	for _, p := range c.parts {
		if p.name != "" {
			if names == nil {
				names = map[string]string{}
			}
			names[p.rawID] = p.name
		}
	}
	return c.clock.Position(now), c.presentLocked(), names, c.nextSub
}

func (c *call) unsubscribe(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next []subscription
	for _, s := range *c.subs.Load() {
		if s.id != id {
			next = append(next, s)
		}
	}
	c.subs.Store(&next)
}

func (c *call) frame(f callrec.Frame) {
	for _, s := range *c.subs.Load() {
		s.sub.OnFrame(f)
	}
}

// eventLocked emits e to every subscriber; c.mu is held.
func (c *call) eventLocked(e callrec.ParticipantEvent) {
	for _, s := range *c.subs.Load() {
		s.sub.OnParticipantEvent(e)
	}
}

func (c *call) present() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.presentLocked()
}

func (c *call) presentLocked() []string {
	ids := make([]string, len(c.parts))
	for i, p := range c.parts {
		ids[i] = p.rawID
	}
	return ids
}

func (c *call) find(rawID string) *Participant {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.parts {
		if p.rawID == rawID {
			return p
		}
	}
	return nil
}

func (c *call) attach(h *Hub, rawID string, leg Leg, admit func() error) (*Participant, error) {
	limit, now := h.cfg.MaxParticipants, h.cfg.Now
	c.joinMu.Lock()
	defer c.joinMu.Unlock()
	if old := c.find(rawID); old != nil {
		old.leg.Disconnect(ReasonReplaced)
	}
	c.mu.Lock()
	ended, n := c.ended, len(c.parts)
	c.mu.Unlock()
	if ended {
		return nil, callrec.Errorf(callrec.KindNotFound, callrec.CodeCallEnded, "call %q has ended", c.id)
	}
	if limit > 0 && n >= limit {
		return nil, callrec.Errorf(callrec.KindConflict, CodeTooManyParticipants,
			"call %q already has %d participants, the most it may have at once", c.id, limit)
	}
	if admit != nil {
		if err := admit(); err != nil {
			return nil, err
		}
	}
	p := &Participant{hub: h, call: c, rawID: rawID, leg: leg}
	if n, ok := leg.(DisplayNamer); ok {
		p.name = n.DisplayName()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p.floor = math.MinInt64
	if end, ok := c.ends[rawID]; ok {
		p.floor = end
	}
	c.parts = append(c.parts, p)
	c.eventLocked(callrec.ParticipantEvent{Kind: callrec.ParticipantJoined, Participant: rawID,
		Pos: c.clock.Position(now()), At: now(), DisplayName: p.name})
	return p, nil
}

// detach removes p, records where its audio ended, and emits its leave at
// pos.
func (c *call) detach(p *Participant, end, pos int64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.parts, p); i >= 0 {
		c.parts = slices.Delete(c.parts, i, i+1)
	}
	if prev, ok := c.ends[p.rawID]; !ok || end > prev {
		c.ends[p.rawID] = end
	}
	c.eventLocked(callrec.ParticipantEvent{Kind: callrec.ParticipantLeft, Participant: p.rawID, Pos: pos, At: at})
}

// end refuses later attaches and returns the legs to hang up. An attach
// in progress completes first, so that its participant is among them.
func (c *call) end() []Leg {
	c.joinMu.Lock()
	defer c.joinMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	legs := make([]Leg, len(c.parts))
	for i, p := range c.parts {
		legs[i] = p.leg
	}
	return legs
}

// participants returns the attached participants, in join order.
func (c *call) participants() []*Participant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.parts)
}
