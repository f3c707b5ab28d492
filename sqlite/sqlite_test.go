package sqlite

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "callrec.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestReleaseLeasesAfterADeadProcess(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	now := time.Now().UTC()
	db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: now})
	ev := callrec.Outgoing{
		Event:   callrec.Event{ID: "e1", Type: "t", Source: "s", Subject: "s", Time: now, Data: json.RawMessage(`{}`)},
		Targets: []callrec.Target{{URL: "http://127.0.0.1:1/cb", Schema: callrec.SchemaCloudEventsArray}},
	}
	if err := db.EndCall(ctx, "c1", now, ev); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Hour}); len(got) != 1 {
		t.Fatalf("claimed %d", len(got))
	}
	if got, _, _ := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Hour}); len(got) != 0 {
		t.Fatal("a leased delivery was claimed again")
	}
	n, err := db.ReleaseLeases(ctx)
	if err != nil || n != 1 {
		t.Fatalf("released %d, %v", n, err)
	}
	got, _, _ := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Hour})
	if len(got) != 1 || got[0].Event.ID != "e1" {
		t.Fatalf("after release: %+v", got)
	}
	db.RecordAttempts(ctx, []callrec.AttemptRecord{{ID: got[0].ID, Attempt: callrec.Attempt{At: now, HTTPStatus: 500, Next: now.Add(time.Minute), Status: callrec.DeliveryPending}}})
	if n, _ := db.ReleaseLeases(ctx); n != 0 {
		t.Fatalf("a recorded attempt left a lease behind (%d released)", n)
	}
	if next, _ := pendingNext(ctx, db); next.UnixMilli() != now.Add(time.Minute).UnixMilli() {
		t.Fatalf("release moved a backed-off delivery: next %v", next)
	}
}

// pendingNext is when the earliest pending delivery is due, as a claim of
// nothing reports it.
func pendingNext(ctx context.Context, db *DB) (time.Time, error) {
	_, next, err := db.ClaimDue(ctx, callrec.Claim{Now: time.Now()})
	return next, err
}
