package webhook

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/sqlite"
)

// An endpoint that never answers only slows itself: with 150 events for a
// hanging subscriber and 150 for a healthy one on the real SQLite outbox,
// the healthy one gets all of its events and a state callback to a third
// host gets through, while the hanging one never has more attempts in
// flight than its budget and most of its deliveries stay unclaimed.
func TestHangingDestinationOnlySlowsItself(t *testing.T) {
	const events, perDest = 150, 3
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "callrec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hanging := newReceiver(t, func(int, *http.Request) reply { return reply{delay: time.Hour} })
	healthy := newReceiver(t, func(int, *http.Request) reply { return reply{} })
	callbacks := newReceiver(t, func(int, *http.Request) reply { return reply{} })

	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "call-1", State: callrec.CallActive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	join := func(i int, targets ...callrec.Target) {
		t.Helper()
		ev := testEvent(1000 + i)
		ev.Time = time.Now().UTC()
		if err := db.JoinParticipant(ctx, "call-1", fmt.Sprintf("8:acs:p%d", i), ev.Time, callrec.Outgoing{Event: ev, Targets: targets}); err != nil {
			t.Fatal(err)
		}
	}
	// The hanging subscriber's deliveries are all due first.
	for i := range events {
		join(i, callrec.Target{URL: hanging.srv.URL + "/events", Schema: callrec.SchemaEventGrid, Subscription: "hang"})
	}
	for i := range events {
		join(events+i, callrec.Target{URL: healthy.srv.URL + "/events", Schema: callrec.SchemaEventGrid, Subscription: "ok"})
	}

	p := fastPolicy()
	p.AttemptTimeout = time.Minute
	w, _ := startWorker(t, Config{Outbox: db, Policy: p, Concurrency: 16, PerTargetConcurrency: perDest,
		DrainTimeout: 100 * time.Millisecond})
	waitFor(t, "every event at the healthy subscriber", func() bool { return len(healthy.requests()) >= events })

	// A callback to a third host, enqueued while the hanging one still
	// holds its budget, goes out too.
	join(2*events, callrec.Target{URL: callbacks.srv.URL + "/cb", Schema: callrec.SchemaCloudEventsArray})
	w.Notify()
	waitFor(t, "the state callback", func() bool { return len(callbacks.requests()) == 1 })

	if n := len(healthy.requests()); n != events {
		t.Errorf("healthy subscriber got %d requests, want %d", n, events)
	}
	if m := hanging.maxInflight(); m > perDest || m < 1 {
		t.Errorf("hanging subscriber had %d requests in flight, budget %d", m, perDest)
	}
	if n := len(hanging.requests()); n > perDest {
		t.Errorf("hanging subscriber got %d requests, more than its budget %d", n, perDest)
	}
	// The hanging destination holds no more claims than its budget: the
	// rest of its deliveries are pending and due, not leased.
	var ds []callrec.Delivery
	waitFor(t, "every other delivery recorded", func() bool {
		if ds, err = db.Deliveries(ctx, callrec.DeliveryPending, 1000); err != nil {
			t.Fatal(err)
		}
		return len(ds) == events
	})
	leased := 0
	for _, d := range ds {
		if d.Target.Subscription == "hang" && d.NextAttemptAt.After(time.Now()) {
			leased++
		}
	}
	if leased > perDest {
		t.Errorf("%d of the hanging subscriber's deliveries are leased, budget %d", leased, perDest)
	}
}

// A claim takes no destination past its budget, counting what the claimer
// already holds, and reports the next delivery it could still take.
func TestClaimKeepsEachDestinationWithinItsBudget(t *testing.T) {
	ob := newMemOutbox()
	a := callrec.Target{URL: "http://127.0.0.1:1/a", Schema: callrec.SchemaEventGrid}
	b := callrec.Target{URL: "HTTP://127.0.0.1:2/b?x=1", Schema: callrec.SchemaEventGrid}
	for i := range 5 {
		ob.add(testEvent(i), a, b)
	}
	now := time.Now().Add(time.Second)
	ds, next, err := ob.ClaimDue(context.Background(), callrec.Claim{
		Now: now, Limit: 10, Lease: time.Minute, PerDestination: 2,
		Held: map[string]int{a.Destination(): 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, d := range ds {
		got[d.Target.Destination()]++
	}
	if got["http://127.0.0.1:1"] != 1 || got["http://127.0.0.1:2"] != 2 || len(ds) != 3 {
		t.Errorf("claimed %v, want 1 of a (it holds 1) and 2 of b", got)
	}
	if !next.IsZero() {
		t.Errorf("next %v: every destination with due deliveries is full", next)
	}
}
