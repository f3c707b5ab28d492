package rtcrecv

import (
	"log/slog"
	"testing"
	"time"
)

// Peers go to workers by measured cost: the first worker takes them until
// it is busy a quarter of a core; then the worker whose peers, each at its
// measured cost per peer, cost least takes them, whatever the workers'
// peer counts.
func TestPickWorkerByMeasuredCost(t *testing.T) {
	e := &Endpoint{cfg: Config{PollInterval: 20 * time.Millisecond}, log: slog.Default(), start: time.Now()}
	a, b := newWorker(e, 0), newWorker(e, 1)
	e.workers = []*worker{a, b}

	if got := e.pickWorker(); got != a {
		t.Fatalf("idle workers: picked worker %d, want the first (one worker polls for everyone at low load)", got.index)
	}
	measure := func(w *worker, peers, busy int64) {
		w.cost.Members.Store(peers)
		w.cost.Measured.Store(1000 * peers)
		w.cost.Busy.Store(busy)
	}
	// a: 40 peers measured at 30 % of a core; b: 10 peers at 5 %.
	measure(a, 40, 300_000)
	measure(b, 10, 50_000)
	if got := e.pickWorker(); got != b {
		t.Fatalf("a busy 30%%: picked worker %d, want b", got.index)
	}
	// b took 60 more peers than it has measured: at its 5000 ppm each it
	// is about to be busier than a.
	b.cost.Members.Store(70)
	if got := e.pickWorker(); got != a {
		t.Fatalf("b with 60 new peers: picked worker %d, want a", got.index)
	}
	// Cheap legs: b holds more peers than a but costs less; it is picked.
	measure(b, 200, 100_000)
	if got := e.pickWorker(); got != b {
		t.Fatalf("b cheaper with more peers: picked worker %d, want b", got.index)
	}
}
