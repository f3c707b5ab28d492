package webhook

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// A worker stopped half-way leaves the rest in the outbox, and a new worker
// on the same outbox delivers all of it, each event under its own id.
func TestNewWorkerDeliversWhatAStoppedWorkerLeft(t *testing.T) {
	const total = 30
	rc := newReceiver(t, func(int, *http.Request) reply { return reply{delay: 20 * time.Millisecond} })
	ob := newMemOutbox()
	want := map[string]bool{}
	var ids []int64
	for i := range total {
		ev := testEvent(300 + i)
		want[ev.ID] = true
		ids = append(ids, ob.add(ev, callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEventsArray})...)
	}
	cfg := Config{Outbox: ob, Policy: fastPolicy(), Concurrency: 4, PerTargetConcurrency: 2, Lease: 2500 * time.Millisecond}
	_, stop := startWorker(t, cfg)
	waitFor(t, "some deliveries", func() bool { return ob.countStatus(callrec.DeliveryDelivered) >= 5 })
	stop()
	left := total - ob.countStatus(callrec.DeliveryDelivered)
	if left == 0 {
		t.Fatal("the first worker delivered everything; the test did not stop it mid-way")
	}
	t.Logf("first worker stopped with %d of %d left", left, total)

	startWorker(t, cfg)
	waitFor(t, "the rest", func() bool { return ob.countStatus(callrec.DeliveryDelivered) == total })
	seen := map[string]int{}
	for _, r := range rc.requests() {
		seen[eventID(t, r.body)]++
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("event %s never reached the receiver", id)
		}
	}
	for _, id := range ids {
		if d := ob.get(id); d.Attempts != 1 {
			t.Errorf("delivery %d recorded %d attempts; a clean stop loses or repeats none", id, d.Attempts)
		}
	}
}

// An attempt still hanging when the drain timeout ends is abandoned without a
// record; its lease runs out and the next worker delivers it, same id.
func TestAbandonedAttemptReturnsThroughTheLease(t *testing.T) {
	var hang atomic.Bool
	hang.Store(true)
	rc := newReceiver(t, func(int, *http.Request) reply {
		if hang.Load() {
			return reply{delay: time.Minute}
		}
		return reply{}
	})
	ob := newMemOutbox()
	ev := testEvent(400)
	ids := ob.add(ev, callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEventsArray})
	p := fastPolicy()
	p.AttemptTimeout = 30 * time.Second
	cfg := Config{Outbox: ob, Policy: p, Lease: 31 * time.Second, DrainTimeout: 100 * time.Millisecond}
	_, stop := startWorker(t, cfg)
	waitFor(t, "first request", func() bool { return len(rc.requests()) == 1 })
	stop()
	d := ob.get(ids[0])
	if d.Attempts != 0 || d.Status != callrec.DeliveryPending {
		t.Fatalf("abandoned attempt was recorded: %+v", d)
	}
	leaseEnd := d.NextAttemptAt

	hang.Store(false)
	cfg.Now = func() time.Time { return time.Now().Add(time.Until(leaseEnd) + time.Millisecond) } // the lease has run out
	startWorker(t, cfg)
	waitFor(t, "redelivery", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDelivered })
	reqs := rc.requests()
	if len(reqs) != 2 || eventID(t, reqs[0].body) != ev.ID || eventID(t, reqs[1].body) != ev.ID {
		t.Errorf("got %d requests; want the same event twice", len(reqs))
	}
}
