package ingest

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec"
)

// subscription is one subscriber of a call's media.
type subscription struct {
	id  uint64
	sub callrec.MediaSubscriber
}

// callMedia is one call's live media: its clock, its publishing
// participants and its subscribers. Frames fan out to subscribers without a
// lock: the subscriber list is an immutable slice swapped on change.
type callMedia struct {
	id    string
	clock callClock

	subs    atomic.Pointer[[]subscription]
	subsMu  sync.Mutex // serialises changes to subs
	nextSub uint64

	joinMu   sync.Mutex          // serialises joins, so a rejoin replaces cleanly
	mu       sync.Mutex          // guards sessions and ends
	sessions map[string]*session // by participant raw id
	// ends is where each participant's last session stopped on the call
	// clock; a rejoin starts no earlier, so a participant's frames never
	// overlap across sessions.
	ends map[string]int64
}

func newCallMedia(id string, now time.Time) *callMedia {
	c := &callMedia{id: id, clock: callClock{epoch: now}, sessions: map[string]*session{}, ends: map[string]int64{}}
	c.subs.Store(&[]subscription{})
	return c
}

func (c *callMedia) subscribe(s callrec.MediaSubscriber) (id uint64) {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	c.nextSub++
	next := append(append([]subscription(nil), *c.subs.Load()...), subscription{id: c.nextSub, sub: s})
	c.subs.Store(&next)
	return c.nextSub
}

// unsubscribe removes subscription id and reports how many remain.
func (c *callMedia) unsubscribe(id uint64) int {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	var next []subscription
	for _, s := range *c.subs.Load() {
		if s.id != id {
			next = append(next, s)
		}
	}
	c.subs.Store(&next)
	return len(next)
}

func (c *callMedia) subscriberCount() int { return len(*c.subs.Load()) }

func (c *callMedia) frame(f callrec.Frame) {
	for _, s := range *c.subs.Load() {
		s.sub.OnFrame(f)
	}
}

func (c *callMedia) event(e callrec.ParticipantEvent) {
	for _, s := range *c.subs.Load() {
		s.sub.OnParticipantEvent(e)
	}
}

// participants returns the raw ids of the participants publishing now.
func (c *callMedia) participants() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.sessions))
	for id := range c.sessions {
		ids = append(ids, id)
	}
	return ids
}

func (c *callMedia) session(rawID string) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions[rawID]
}

// lastEnd returns where rawID's previous session stopped, or MinInt64 if
// it had none.
func (c *callMedia) lastEnd(rawID string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if end, ok := c.ends[rawID]; ok {
		return end
	}
	return math.MinInt64
}

// ended records where a session of rawID stopped.
func (c *callMedia) ended(rawID string, pos int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if end, ok := c.ends[rawID]; !ok || pos > end {
		c.ends[rawID] = pos
	}
}

func (c *callMedia) addSession(s *session) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sessions[s.rawID] = s
	return len(c.sessions)
}

// removeSession forgets s (if it is still the participant's session) and
// reports how many sessions remain.
func (c *callMedia) removeSession(s *session) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions[s.rawID] == s {
		delete(c.sessions, s.rawID)
	}
	return len(c.sessions)
}
