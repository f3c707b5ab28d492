package callmedia

import (
	"sync"
	"sync/atomic"

	"github.com/callrec/callrec"
)

// Participant is a publisher's handle on one participant of a call, from
// Attach to Leave. Push, PushVideo, SetMuted and Leave come from the
// publisher's one goroutine for the participant, in order; the other
// methods may be called from anywhere.
type Participant struct {
	hub   *Hub
	call  *call
	rawID string
	name  string // display name, "" without one (DisplayNamer)
	leg   Leg
	floor int64
	once  sync.Once

	// keyed holds the subscriptions that have had a keyframe of this
	// participant's video; owned by the publisher's goroutine (PushVideo).
	keyed map[uint64]struct{}
	muted atomic.Bool // by an application (Hub.Mute): frames go out silent
	quiet []int16     // a silent frame, made on the first muted Push
}

// RawID returns the participant's ACS raw id.
func (p *Participant) RawID() string { return p.rawID }

// DisplayName returns the participant's display name as its leg gave it
// (DisplayNamer), "" without one.
func (p *Participant) DisplayName() string { return p.name }

// CallID returns the call's serverCallId.
func (p *Participant) CallID() string { return p.call.id }

// Clock returns the call's clock, on which frames and events are placed.
func (p *Participant) Clock() Clock { return p.call.clock }

// Floor is the earliest call-clock position of the participant's first
// frame: where its previous leg's audio ended (math.MinInt64 when it had
// none), so that a rejoin never repeats time.
func (p *Participant) Floor() int64 { return p.floor }

// Push delivers one frame of the participant's decoded audio at call-clock
// position pos (callrec.Frame's rules: consecutive frames at consecutive
// positions). samples is only read during the call. It takes no lock and
// allocates nothing (but one silent frame once muted by Hub.Mute).
func (p *Participant) Push(pos int64, samples []int16) {
	if p.muted.Load() {
		if len(p.quiet) < len(samples) {
			p.quiet = make([]int16, len(samples))
		}
		samples = p.quiet[:len(samples)]
	}
	p.call.frame(callrec.Frame{Participant: p.rawID, Pos: pos, Samples: samples})
}

// SetMuted reports that the participant's stream stopped (muted) or came
// back (unmuted) at pos.
func (p *Participant) SetMuted(muted bool, pos int64) {
	kind := callrec.ParticipantUnmuted
	if muted {
		kind = callrec.ParticipantMuted
	}
	p.call.mu.Lock()
	defer p.call.mu.Unlock()
	p.call.eventLocked(callrec.ParticipantEvent{Kind: kind, Participant: p.rawID, Pos: pos, At: p.hub.cfg.Now()})
}

// Leave detaches the participant: its audio ended at call-clock position
// end (a rejoin starts no earlier), and its leave is emitted at pos (or
// end, if later). After Leave the publisher pushes nothing more; later
// calls do nothing.
func (p *Participant) Leave(end, pos int64) {
	p.once.Do(func() {
		p.call.detach(p, end, max(pos, end), p.hub.cfg.Now())
		p.hub.release(p.call)
	})
}
