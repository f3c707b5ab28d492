package mediarecv

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// member records what its worker hands it; done ends it at its next tick.
type member struct {
	mu       sync.Mutex
	got      map[netip.AddrPort][]byte
	ticks    int
	done     bool
	detached chan struct{}
}

func newMember() *member {
	return &member{got: map[netip.AddrPort][]byte{}, detached: make(chan struct{})}
}

func (m *member) Receive(s *Socket, from netip.AddrPort, b []byte, _ time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got[s.Local()] = append(m.got[s.Local()], b...)
}

func (m *member) Tick(now, read time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ticks++
	return m.done
}

func (m *member) Detached() { close(m.detached) }

func (m *member) received(at netip.AddrPort) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.got[at]...)
}

func openLoopback(t *testing.T) *Socket {
	t.Helper()
	s, err := Open(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond for up to 20 s (a loaded machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPoolReadsMembersSockets: two members on one pool each get the
// datagrams of their own sockets (two for the first: RTP and RTCP) and
// their ticks; a member done at a tick is detached and its sockets are no
// longer read; closing the pool detaches the rest.
func TestPoolReadsMembersSockets(t *testing.T) {
	p := New(Config{Workers: 2})
	sender := openLoopback(t)
	defer sender.Close()
	a, b := newMember(), newMember()
	a1, a2, b1 := openLoopback(t), openLoopback(t), openLoopback(t)
	defer a1.Close()
	defer a2.Close()
	defer b1.Close()
	if err := p.Attach(a, a1, a2); err != nil {
		t.Fatal(err)
	}
	if err := p.Attach(b, b1); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for _, to := range []*Socket{a1, a2, b1} {
			if err := sender.WriteTo([]byte{byte(to.Local().Port()), byte(i)}, to.Local()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		m *member
		s *Socket
	}{{a, a1}, {a, a2}, {b, b1}} {
		waitFor(t, "datagrams of "+c.s.Local().String(), func() bool { return len(c.m.received(c.s.Local())) == 6 })
		want := byte(c.s.Local().Port())
		if got := c.m.received(c.s.Local()); got[0] != want || got[1] != 0 || got[5] != 2 {
			t.Errorf("%v received %v", c.s.Local(), got)
		}
	}
	if len(a.received(b1.Local())) != 0 || len(b.received(a1.Local())) != 0 {
		t.Error("a member received another's datagrams")
	}
	a.mu.Lock()
	a.done = true
	a.mu.Unlock()
	<-a.detached
	if err := sender.WriteTo([]byte{9, 9}, a1.Local()); err != nil {
		t.Fatal(err)
	}
	if err := sender.WriteTo([]byte{7, 7}, b1.Local()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b's datagram after a left", func() bool { return len(b.received(b1.Local())) == 8 })
	if got := a.received(a1.Local()); len(got) != 6 {
		t.Errorf("a detached member still received: %v", got)
	}
	b.mu.Lock()
	ticks := b.ticks
	b.mu.Unlock()
	if ticks == 0 {
		t.Error("b was never ticked")
	}
	p.Close()
	select {
	case <-b.detached:
	default:
		t.Error("Close returned with a member attached")
	}
	if err := p.Attach(newMember()); err != ErrClosed {
		t.Errorf("Attach after Close: %v, want ErrClosed", err)
	}
}

// TestPickByMeasuredCost: members go to the first worker whose estimate
// is under packBusy; past it, to the least loaded, each worker's members
// counted at its measured cost per member, including members placed since
// the last measure.
func TestPickByMeasuredCost(t *testing.T) {
	p := &Pool{}
	for i := range 3 {
		p.workers = append(p.workers, &Worker{index: i})
	}
	if w := p.Pick(); w.index != 0 {
		t.Errorf("idle pool: worker %d, want 0", w.index)
	}
	measure := func(w *Worker, members, busy int64) {
		w.cost.Members.Store(members)
		w.cost.Measured.Store(1000 * members)
		w.cost.Busy.Store(busy)
	}
	measure(p.workers[0], 100, 600_000)
	measure(p.workers[1], 100, 400_000)
	measure(p.workers[2], 10, 300_000)
	if w := p.Pick(); w.index != 2 {
		t.Errorf("worker %d, want 2 (least busy)", w.index)
	}
	// Worker 2 took 30 more members that its average has not seen yet: at
	// its 30 000 ppm each, 40 members are 1.2 cores, so worker 1 is now
	// the least.
	p.workers[2].cost.Members.Store(40)
	if w := p.Pick(); w.index != 1 {
		t.Errorf("worker %d, want 1 (worker 2's new members counted)", w.index)
	}
}

// A burst of joins is spread evenly over workers that measure the same
// cost per member, however their averages lag: placement counts each
// worker's members at once.
func TestPickSpreadsABurstOfJoins(t *testing.T) {
	p := &Pool{}
	for i := range 2 {
		p.workers = append(p.workers, &Worker{index: i})
	}
	// Both measured 100 members at 5000 ppm each (500 000: past packBusy);
	// worker 1's average lags behind a burst it took.
	for _, w := range p.workers {
		w.cost.Members.Store(100)
		w.cost.Measured.Store(100_000)
		w.cost.Busy.Store(500_000)
	}
	for range 200 {
		w := p.Pick()
		w.cost.Placed()
	}
	a, b := p.workers[0].cost.Members.Load(), p.workers[1].cost.Members.Load()
	if a != 200 || b != 200 {
		t.Errorf("members after 200 joins: %d and %d, want 200 and 200", a, b)
	}
}
