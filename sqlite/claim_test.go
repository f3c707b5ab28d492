package sqlite

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// A claim names the destination of rows stored before the destination
// column existed, and counts them in that destination's budget (the rest of
// claiming is in the conformance suite).
func TestClaimNamesLegacyDestinations(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: now})
	cb := callrec.Target{URL: "https://Example.com:8443/cb?token=x", Schema: callrec.SchemaCloudEventsArray}
	for _, id := range []string{"e1", "e2"} {
		ev := callrec.Outgoing{Event: callrec.Event{ID: id, Type: "T", Source: "s", Subject: "s", Time: now,
			Data: json.RawMessage(`{}`)}, Targets: []callrec.Target{cb}}
		if err := db.JoinParticipant(ctx, "c1", "8:acs:"+id, now, ev); err != nil {
			t.Fatal(err)
		}
	}
	// As if stored before the destination column: a claim names it.
	if _, err := db.db.ExecContext(ctx, `UPDATE deliveries SET destination = ''`); err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Minute, PerDestination: 1})
	if err != nil || len(ds) != 1 {
		t.Fatalf("claimed %d (%v); want 1, the budget of the legacy rows' destination", len(ds), err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT destination FROM deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var dest string
		if err := rows.Scan(&dest); err != nil {
			t.Fatal(err)
		}
		if dest != "https://example.com:8443" && dest != "" {
			t.Errorf("legacy row's destination %q", dest)
		}
	}
}
