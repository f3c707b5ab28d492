package sqlite

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// A claim takes each destination within its budget, counting what the
// claimer holds, names the destination of rows stored before the column
// existed, and reports the next delivery it could still take; outcomes
// are recorded in one write.
func TestClaimWithinDestinationBudgets(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
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
	// As if stored before the destination column: a claim names it.
	if _, err := db.db.ExecContext(ctx, `UPDATE deliveries SET destination = '' WHERE url = ?`, cb.URL); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Second)
	claim := callrec.Claim{Now: later, Limit: 4, Lease: time.Minute, PerDestination: 2,
		Held: map[string]int{hang.Destination(): 2}}
	ds, next, err := db.ClaimDue(ctx, claim)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, d := range ds {
		got[d.Target.Subscription+d.Target.URL]++
	}
	if len(ds) != 3 || got["ok"+ok.URL] != 2 || got[cb.URL] != 1 {
		t.Fatalf("claimed %v; want 2 for ok (its budget), the callback, none for hang (full)", got)
	}
	// hang and ok are full; what is left is the callback's lease.
	if want := later.Add(time.Minute); !next.Equal(want) {
		t.Errorf("next %v, want the end of the callback's lease %v", next, want)
	}
	var dest string
	if err := db.db.QueryRowContext(ctx, `SELECT destination FROM deliveries WHERE url = ?`, cb.URL).Scan(&dest); err != nil || dest != "https://example.com:8443" {
		t.Errorf("legacy row's destination %q, %v", dest, err)
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
}
