package rtcrecv

import (
	"log/slog"
	"testing"
	"time"
)

// Peers go to workers by measured cost: the first worker takes them until
// it is busy a quarter of a core, counting those it took in the last
// second at the measured cost per peer; then the least busy worker takes
// them, whatever the workers' peer counts.
func TestPickWorkerByMeasuredCost(t *testing.T) {
	e := &Endpoint{cfg: Config{PollInterval: 20 * time.Millisecond}, log: slog.Default(), start: time.Now()}
	a, b := newWorker(e, 0), newWorker(e, 1)
	e.workers = []*worker{a, b}

	if got := e.pickWorker(); got != a {
		t.Fatalf("idle workers: picked worker %d, want the first (one worker polls for everyone at low load)", got.index)
	}
	// a: 40 peers measured at 30 % of a core; b: 10 peers at 5 %.
	a.cost.Members.Store(40)
	a.cost.Busy.Store(300_000)
	b.cost.Members.Store(10)
	b.cost.Busy.Store(50_000)
	if got := e.pickWorker(); got != b {
		t.Fatalf("a busy 30%%: picked worker %d, want b", got.index)
	}
	// b took 40 peers in the last second: at the measured 7000 ppm each
	// (350 000 over 50 peers) it is about to be busier than a.
	b.cost.Fresh.Store(40)
	b.cost.Members.Store(50)
	if got := e.pickWorker(); got != a {
		t.Fatalf("b with 40 fresh peers: picked worker %d, want a", got.index)
	}
	// Cheap legs: b holds more peers than a but costs less; it is picked.
	b.cost.Fresh.Store(0)
	b.cost.Members.Store(200)
	b.cost.Busy.Store(100_000)
	if got := e.pickWorker(); got != b {
		t.Fatalf("b cheaper with more peers: picked worker %d, want b", got.index)
	}
}
