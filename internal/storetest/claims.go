package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// testClaimBudgets: a claim takes each destination within its budget,
// counting what the claimer holds, and reports the next delivery it could
// still take; outcomes are recorded in one write.
func testClaimBudgets(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: now})
	hang := callrec.Target{URL: "http://127.0.0.1:1/hook", Schema: callrec.SchemaEventGrid, Subscription: "hang"}
	ok := callrec.Target{URL: "http://127.0.0.1:2/hook", Schema: callrec.SchemaEventGrid, Subscription: "ok"}
	cb := callrec.Target{URL: "https://Example.com:8443/cb?token=x", Schema: callrec.SchemaCloudEventsArray}
	for i := range 6 {
		at := now.Add(time.Duration(i) * time.Millisecond)
		targets := []callrec.Target{hang, ok}
		if i == 5 {
			targets = []callrec.Target{cb}
		}
		ev := callrec.Outgoing{Event: callrec.Event{ID: fmt.Sprint("e", i), Type: "T", Source: "s", Subject: "s", Time: at,
			Data: json.RawMessage(`{}`)}, Targets: targets}
		if err := db.JoinParticipant(ctx, "c1", fmt.Sprint("8:acs:", i), at, ev); err != nil {
			t.Fatal(err)
		}
	}
	later := now.Add(time.Second)
	claim := callrec.Claim{Now: later, Limit: 4, Lease: time.Minute, PerDestination: 2,
		Held: map[string]int{hang.Destination(): 2}}
	ds, next, err := db.ClaimDue(ctx, claim)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for i, d := range ds {
		got[d.Target.Subscription+d.Target.URL]++
		if i > 0 && d.NextAttemptAt.Before(ds[i-1].NextAttemptAt) {
			t.Errorf("claimed out of due order: %v after %v", d.NextAttemptAt, ds[i-1].NextAttemptAt)
		}
	}
	if len(ds) != 3 || got["ok"+ok.URL] != 2 || got[cb.URL] != 1 {
		t.Fatalf("claimed %v; want 2 for ok (its budget), the callback, none for hang (full)", got)
	}
	if ds[0].Target.Subscription != "ok" || !ds[0].NextAttemptAt.Equal(now) {
		t.Errorf("first claimed %+v, want ok's earliest, due at %v", ds[0], now)
	}
	// hang and ok are full; what is left is the callback's lease.
	if want := later.Add(time.Minute); !next.Equal(want) {
		t.Errorf("next %v, want the end of the callback's lease %v", next, want)
	}

	// With hang's budget free again, the earliest due of hang comes next.
	_, next, _ = db.ClaimDue(ctx, callrec.Claim{Now: later, Limit: 0, PerDestination: 2, Held: map[string]int{ok.Destination(): 2}})
	if !next.Equal(now) {
		t.Errorf("next %v, want hang's first delivery due at %v", next, now)
	}

	var recs []callrec.AttemptRecord
	for _, d := range ds {
		recs = append(recs, callrec.AttemptRecord{ID: d.ID, Attempt: callrec.Attempt{At: later, HTTPStatus: 200, Status: callrec.DeliveryDelivered}})
	}
	if err := db.RecordAttempts(ctx, recs); err != nil {
		t.Fatal(err)
	}
	delivered, _ := db.Deliveries(ctx, callrec.DeliveryDelivered, 100)
	if len(delivered) != 3 {
		t.Errorf("%d delivered after recording 3", len(delivered))
	}
	for _, d := range delivered {
		if d.Attempts != 1 || d.LastStatus != 200 {
			t.Errorf("delivered %+v", d)
		}
	}
}

// testCrossNodeClaims: workers on two handles of one database (two nodes)
// claim the outbox at the same time; every delivery is claimed exactly
// once, and the per-destination budget holds within each claim.
func testCrossNodeClaims(t *testing.T, open Opener) {
	ctx := t.Context()
	nodes := []Store{open(t), open(t)}
	if err := nodes[0].CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const events, dests = 150, 3
	for i := range events {
		var targets []callrec.Target
		for d := range dests {
			targets = append(targets, callrec.Target{URL: fmt.Sprintf("http://127.0.0.1:%d/hook", 1000+d), Schema: callrec.SchemaEventGrid})
		}
		ev := callrec.Outgoing{Event: callrec.Event{ID: fmt.Sprint("e", i), Type: "T", Source: "s", Subject: "s",
			Time: t0.Add(time.Duration(i) * time.Millisecond), Data: json.RawMessage(`{}`)}, Targets: targets}
		if err := nodes[i%2].JoinParticipant(ctx, "c1", fmt.Sprint("8:acs:", i), t0, ev); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(time.Hour)
	var mu sync.Mutex
	claimedBy := map[int64]int{}
	var wg sync.WaitGroup
	const workersPerNode = 3
	for w := range 2 * workersPerNode {
		db := nodes[w%2]
		wg.Go(func() {
			for {
				ds, _, err := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 7, Lease: time.Hour, PerDestination: 3})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				if len(ds) == 0 {
					return
				}
				perDest := map[string]int{}
				var recs []callrec.AttemptRecord
				mu.Lock()
				for _, d := range ds {
					claimedBy[d.ID]++
					perDest[d.Target.Destination()]++
					recs = append(recs, callrec.AttemptRecord{ID: d.ID, Attempt: callrec.Attempt{At: now, HTTPStatus: 200, Status: callrec.DeliveryDelivered}})
				}
				mu.Unlock()
				for dest, n := range perDest {
					if n > 3 {
						t.Errorf("worker %d took %d of %s in one claim, budget 3", w, n, dest)
					}
				}
				if err := db.RecordAttempts(ctx, recs); err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(claimedBy) != events*dests {
		t.Errorf("%d deliveries claimed, want %d", len(claimedBy), events*dests)
	}
	for id, n := range claimedBy {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times", id, n)
		}
	}
	counts, err := nodes[1].CountDeliveries(ctx)
	if err != nil || counts[callrec.DeliveryDelivered] != events*dests || counts[callrec.DeliveryPending] != 0 {
		t.Errorf("counts %v %v", counts, err)
	}
}
