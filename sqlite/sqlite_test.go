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

func TestCallsAndParticipantsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); callrec.CodeOf(err) != callrec.CodeCallExists {
		t.Fatalf("duplicate call: %v", err)
	}
	db.JoinParticipant(ctx, "c1", "8:acs:a", t0.Add(time.Second))
	db.LeaveParticipant(ctx, "c1", "8:acs:a", t0.Add(2*time.Second))
	db.JoinParticipant(ctx, "c1", "8:acs:a", t0.Add(3*time.Second)) // rejoin: same participant
	db.Close()

	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c, err := db2.Call(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Participants) != 1 || !c.Participants[0].JoinedAt.Equal(t0.Add(time.Second)) || c.Participants[0].LeftAt != nil {
		t.Fatalf("participants after rejoin: %+v", c.Participants)
	}
	if !c.CreatedAt.Equal(t0) {
		t.Fatalf("createdAt %v", c.CreatedAt)
	}
	if _, err := db2.Call(ctx, "nope"); callrec.CodeOf(err) != callrec.CodeCallNotFound {
		t.Fatalf("missing call: %v", err)
	}
}

func TestRecordingRepeatabilityAndOutbox(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	now := time.Now().UTC()
	db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: now})
	ev := callrec.Outgoing{
		Event:   callrec.Event{ID: "e1", Type: callrec.EventRecordingStateChanged, Source: "s", Subject: "s", Time: now, Data: json.RawMessage(`{"a":1}`)},
		Targets: []callrec.Target{{URL: "http://127.0.0.1:1/cb", Schema: callrec.SchemaCloudEventsArray}},
	}
	r := &callrec.Recording{ID: "r1", Spec: callrec.RecordingSpec{ServerCallID: "c1", Channel: callrec.ChannelMixed},
		State: callrec.StateActive, RepeatabilityID: "k1", StartedAt: now}
	got, created, err := db.CreateRecording(ctx, r, ev)
	if err != nil || !created || got.ID != "r1" {
		t.Fatalf("create: %v %v %v", got, created, err)
	}
	again := &callrec.Recording{ID: "r2", Spec: r.Spec, State: callrec.StateActive, RepeatabilityID: "k1", StartedAt: now}
	got, created, err = db.CreateRecording(ctx, again)
	if err != nil || created || got.ID != "r1" {
		t.Fatalf("repeat: %v %v %v", got, created, err)
	}

	due, _, err := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Minute})
	if err != nil || len(due) != 1 || due[0].Event.ID != "e1" || string(due[0].Event.Data) != `{"a":1}` {
		t.Fatalf("claim: %+v %v", due, err)
	}
	if again, _, _ := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Minute}); len(again) != 0 {
		t.Fatalf("leased delivery claimed twice: %+v", again)
	}
	next := now.Add(10 * time.Second)
	if err := db.RecordAttempts(ctx, []callrec.AttemptRecord{{ID: due[0].ID, Attempt: callrec.Attempt{At: now, HTTPStatus: 500, Error: "HTTP 500", Next: next, Status: callrec.DeliveryPending}}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := pendingNext(ctx, db); n.UnixMilli() != next.UnixMilli() {
		t.Fatalf("next due %v want %v", n, next)
	}
	due, _, _ = db.ClaimDue(ctx, callrec.Claim{Now: next, Limit: 10, Lease: time.Minute})
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastStatus != 500 {
		t.Fatalf("second claim: %+v", due)
	}
	db.RecordAttempts(ctx, []callrec.AttemptRecord{{ID: due[0].ID, Attempt: callrec.Attempt{At: next, HTTPStatus: 200, Status: callrec.DeliveryDelivered}}})
	if n, _ := pendingNext(ctx, db); !n.IsZero() {
		t.Fatalf("nothing should be due, got %v", n)
	}
	r.State, r.Stopped = callrec.StateInactive, true
	r.Chunks = []callrec.Chunk{{DocumentID: "d1", Index: 0, EndReason: "sessionEnded"}}
	if err := db.UpdateRecording(ctx, r); err != nil {
		t.Fatal(err)
	}
	back, _ := db.Recording(ctx, "r1")
	if !back.Stopped || len(back.Chunks) != 1 || back.Chunks[0].DocumentID != "d1" {
		t.Fatalf("updated recording: %+v", back)
	}
	if live, _ := db.RecordingsOfCall(ctx, "c1"); len(live) != 0 {
		t.Fatalf("stopped recording listed as live: %+v", live)
	}
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
