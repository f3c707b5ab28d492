package callmedia_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
)

// leg is a transport leg whose hang-up leaves at once, as a publisher's
// goroutine would.
type leg struct {
	mu           sync.Mutex
	p            *callmedia.Participant
	end          int64
	disconnected int
	reason       string
}

func (l *leg) Disconnect(reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.disconnected++
	l.reason = reason
	if l.p != nil {
		l.p.Leave(l.end, l.end)
	}
}

func attach(t *testing.T, h *callmedia.Hub, callID, rawID string) (*callmedia.Participant, *leg) {
	t.Helper()
	l := &leg{}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := h.Attach(callID, rawID, l, nil)
	if err != nil {
		t.Fatalf("attach %s: %v", rawID, err)
	}
	l.p = p
	return p, l
}

// recorder keeps what a subscriber receives.
type recorder struct {
	mu     sync.Mutex
	frames []callrec.Frame
	events []callrec.ParticipantEvent
}

func (r *recorder) OnFrame(f callrec.Frame) {
	r.mu.Lock()
	f.Samples = slices.Clone(f.Samples)
	r.frames = append(r.frames, f)
	r.mu.Unlock()
}

func (r *recorder) OnParticipantEvent(e callrec.ParticipantEvent) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, string(e.Kind)+" "+e.Participant)
	}
	return out
}

func newHub(t *testing.T, cfg callmedia.Config) *callmedia.Hub {
	t.Helper()
	h, err := callmedia.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSubscribeReportsPresentParticipantsInJoinOrder(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	ids := []string{"8:acs:c", "8:acs:a", "4:+14255550123", "8:acs:b"}
	for _, id := range ids {
		attach(t, h, "call", id)
	}
	sub := h.Subscribe("call", &recorder{})
	defer sub.Cancel()
	if !slices.Equal(sub.Present, ids) {
		t.Fatalf("present %v, want join order %v", sub.Present, ids)
	}
	if other := h.Subscribe("other", &recorder{}); len(other.Present) != 0 {
		t.Errorf("another call has %v present", other.Present)
	}
}

func TestFramesAndEventsReachEverySubscriberInOrder(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	a, b := &recorder{}, &recorder{}
	subA := h.Subscribe("call", a)
	subB := h.Subscribe("call", b)
	p, _ := attach(t, h, "call", "8:acs:x")
	samples := make([]int16, callrec.FrameSamples)
	samples[0] = 7
	p.Push(320, samples)
	p.SetMuted(true, 640)
	p.SetMuted(false, 960)
	subB.Cancel()
	p.Push(640, samples)
	p.Leave(960, 900)
	subA.Cancel()

	want := []string{"joined 8:acs:x", "muted 8:acs:x", "unmuted 8:acs:x", "left 8:acs:x"}
	if got := a.kinds(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if len(a.frames) != 2 || a.frames[0].Pos != 320 || a.frames[0].Samples[0] != 7 || a.frames[1].Pos != 640 {
		t.Errorf("frames %+v", a.frames)
	}
	if len(b.frames) != 1 || len(b.kinds()) != 3 {
		t.Errorf("cancelled subscriber got %d frames, events %v", len(b.frames), b.kinds())
	}
	if last := a.events[len(a.events)-1]; last.Pos != 960 {
		t.Errorf("leave at %d, want the later of its position and the audio's end (960)", last.Pos)
	}
}

func TestRejoinReplacesThePreviousLegAndStartsAfterIt(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	rec := &recorder{}
	sub := h.Subscribe("call", rec)
	defer sub.Cancel()
	first, firstLeg := attach(t, h, "call", "8:acs:x")
	if first.Floor() != -1<<63 {
		t.Errorf("first leg's floor %d, want none", first.Floor())
	}
	firstLeg.end = 48_000
	second, _ := attach(t, h, "call", "8:acs:x")
	if firstLeg.disconnected != 1 || firstLeg.reason != callmedia.ReasonReplaced {
		t.Fatalf("previous leg disconnected %d times (%q), want once, %s", firstLeg.disconnected, firstLeg.reason, callmedia.ReasonReplaced)
	}
	if second.Floor() != 48_000 {
		t.Errorf("rejoin's floor %d, want where the previous leg ended (48000)", second.Floor())
	}
	want := []string{"joined 8:acs:x", "left 8:acs:x", "joined 8:acs:x"}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if got := h.Participants("call"); !slices.Equal(got, []string{"8:acs:x"}) {
		t.Errorf("participants %v", got)
	}
}

func TestAttachBeyondTheCapIsRefused(t *testing.T) {
	h := newHub(t, callmedia.Config{MaxParticipants: 2})
	attach(t, h, "call", "8:acs:a")
	_, bLeg := attach(t, h, "call", "8:acs:b")
	_, err := h.Attach("call", "8:acs:c", &leg{}, nil)
	if callrec.KindOf(err) != callrec.KindConflict || callrec.CodeOf(err) != callmedia.CodeTooManyParticipants {
		t.Fatalf("third participant: %v, want 409 %s", err, callmedia.CodeTooManyParticipants)
	}
	if _, err := h.Attach("other", "8:acs:c", &leg{}, nil); err != nil {
		t.Errorf("the cap is per call: %v", err)
	}
	b2, _ := attach(t, h, "call", "8:acs:b") // a rejoin replaces, it does not add
	if bLeg.disconnected != 1 {
		t.Error("the rejoin did not replace the previous leg")
	}
	b2.Leave(0, 0)
	attach(t, h, "call", "8:acs:c") // a leave makes room
}

func TestAdmitErrorAttachesNothing(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	rec := &recorder{}
	sub := h.Subscribe("call", rec)
	defer sub.Cancel()
	refused := callrec.Errorf(callrec.KindNotFound, callrec.CodeCallEnded, "ended")
	if _, err := h.Attach("call", "8:acs:a", &leg{}, func() error { return refused }); err != refused {
		t.Fatalf("attach: %v", err)
	}
	if len(rec.kinds()) != 0 || len(h.Participants("call")) != 0 {
		t.Errorf("a refused join was seen: %v", rec.kinds())
	}
}

func TestHangupDisconnectsEveryoneAndRefusesLaterJoins(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	rec := &recorder{}
	sub := h.Subscribe("call", rec)
	defer sub.Cancel()
	var legs []*leg
	for _, id := range []string{"8:acs:a", "8:acs:b", "8:acs:c"} {
		_, l := attach(t, h, "call", id)
		legs = append(legs, l)
	}
	if err := h.Hangup(t.Context(), "call"); err != nil {
		t.Fatal(err)
	}
	for i, l := range legs {
		if l.disconnected != 1 || l.reason != callmedia.ReasonCallEnded {
			t.Errorf("leg %d disconnected %d times (%q)", i, l.disconnected, l.reason)
		}
	}
	if got := h.Participants("call"); len(got) != 0 {
		t.Errorf("still present: %v", got)
	}
	_, err := h.Attach("call", "8:acs:d", &leg{}, nil)
	if callrec.CodeOf(err) != callrec.CodeCallEnded {
		t.Errorf("join after hangup: %v, want CallEnded", err)
	}
	if err := h.Hangup(t.Context(), "nobody-here"); err != nil {
		t.Errorf("hangup of a call without media: %v", err)
	}
}

// stuckLeg never leaves.
type stuckLeg struct{}

func (stuckLeg) Disconnect(string) { select {} }

func TestHangupIsBoundedByItsContext(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	if _, err := h.Attach("call", "8:acs:a", stuckLeg{}, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := h.Hangup(ctx, "call"); err != context.DeadlineExceeded {
		t.Errorf("hangup of a stuck leg: %v", err)
	}
}

// discard is a subscriber that keeps nothing.
type discard struct{}

func (discard) OnFrame(callrec.Frame)                       {}
func (discard) OnParticipantEvent(callrec.ParticipantEvent) {}

func TestPushAllocatesNothing(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	sub := h.Subscribe("call", discard{})
	defer sub.Cancel()
	p, _ := attach(t, h, "call", "8:acs:a")
	samples := make([]int16, callrec.FrameSamples)
	pos := int64(0)
	if n := testing.AllocsPerRun(1000, func() {
		p.Push(pos, samples)
		pos += callrec.FrameSamples
	}); n != 0 {
		t.Errorf("Push allocates %v times per frame", n)
	}
}

func TestBudgetChecks(t *testing.T) {
	b := callmedia.DefaultBudget
	if err := b.CheckPublisher("ingest", 220*time.Millisecond, 400*time.Millisecond); err != nil {
		t.Errorf("ingest's delays: %v", err)
	}
	if err := b.CheckPublisher("slow", 300*time.Millisecond, 400*time.Millisecond); err == nil {
		t.Error("a publisher slower than the budget in normal operation was accepted")
	}
	if err := b.CheckPublisher("slow", 200*time.Millisecond, 500*time.Millisecond); err == nil {
		t.Error("a publisher slower than the budget at worst was accepted")
	}
	if err := b.CheckSubscriber("recorder", 250*time.Millisecond, 450*time.Millisecond); err != nil {
		t.Errorf("recorder's defaults: %v", err)
	}
	if err := b.CheckSubscriber("hasty", 100*time.Millisecond, 450*time.Millisecond); err == nil {
		t.Error("a stop grace below the budget's delay was accepted")
	}
	if err := b.CheckSubscriber("hasty", 250*time.Millisecond, 300*time.Millisecond); err == nil {
		t.Error("a lateness below the budget's max delay was accepted")
	}
	if _, err := callmedia.New(callmedia.Config{Budget: callmedia.Budget{Delay: time.Second, MaxDelay: time.Millisecond}}); err == nil {
		t.Error("a budget whose delay exceeds its max delay was accepted")
	}
}

// namedLeg is a leg that knows its participant's display name.
type namedLeg struct {
	leg
	name string
}

func (l *namedLeg) DisplayName() string { return l.name }

// TestDisplayNamesReachSubscribers: a leg's display name comes with the
// participant's join, and with the present participants of a later
// subscription; a leg without one gives none.
func TestDisplayNamesReachSubscribers(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	r := &recorder{}
	sub := h.Subscribe("call", r)
	defer sub.Cancel()
	alice := &namedLeg{name: "Alice Smith"}
	p, err := h.Attach("call", "8:acs:alice", alice, nil)
	if err != nil {
		t.Fatal(err)
	}
	alice.p = p
	attach(t, h, "call", "4:+14255550123")
	if p.DisplayName() != "Alice Smith" {
		t.Errorf("participant's display name %q", p.DisplayName())
	}
	r.mu.Lock()
	events := slices.Clone(r.events)
	r.mu.Unlock()
	if len(events) != 2 || events[0].DisplayName != "Alice Smith" || events[1].DisplayName != "" {
		t.Errorf("join events %+v, want Alice Smith's name on hers and none on the phone's", events)
	}
	later := h.Subscribe("call", &recorder{})
	defer later.Cancel()
	if len(later.DisplayNames) != 1 || later.DisplayNames["8:acs:alice"] != "Alice Smith" {
		t.Errorf("a later subscription's display names %v", later.DisplayNames)
	}
}
