package sqlite

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// TestFanOutToValidatedMatchingSubscriptions checks that an event stored by
// a state change gets one delivery per validated subscription whose type
// and subject filters match, besides its own targets, in the same
// transaction; and that subscriptions and their state survive a reopen.
func TestFanOutToValidatedMatchingSubscriptions(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	put := func(name string, state callrec.SubscriptionState, types []string, prefix string) {
		t.Helper()
		s := &callrec.Subscription{Name: name, URL: "http://127.0.0.1:1/" + name, Schema: callrec.SchemaEventGrid,
			Types: types, SubjectPrefix: prefix, Secret: "k-" + name, State: state, CreatedAt: t0}
		if err := db.PutSubscription(ctx, s, "tok-"+name); err != nil {
			t.Fatal(err)
		}
	}
	put("all", callrec.SubscriptionValidated, nil, "")
	put("files", callrec.SubscriptionValidated, []string{"microsoft.communication.recordingfilestatusupdated"}, "")
	put("other-call", callrec.SubscriptionValidated, nil, "/recording/call/c2/")
	put("waiting", callrec.SubscriptionAwaitingValidation, nil, "")

	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	ev := callrec.Outgoing{
		Event: callrec.Event{ID: "e1", Type: callrec.EventRecordingFileStatusUpdated, Source: "/callrec/x",
			Subject: "/recording/call/c1/serverCallId/c1/recordingId/r1", Time: t0, Data: []byte(`{}`)},
		Targets: []callrec.Target{{URL: "http://127.0.0.1:1/cb", Schema: callrec.SchemaCloudEventsArray}},
	}
	if err := db.EndCall(ctx, "c1", t0, ev); err != nil {
		t.Fatal(err)
	}
	ds, err := db.Deliveries(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var subs []string
	for _, d := range ds {
		if d.Event.ID != "e1" || d.Status != callrec.DeliveryPending {
			t.Errorf("delivery %+v", d)
		}
		subs = append(subs, d.Target.Subscription)
	}
	slices.Sort(subs)
	if want := []string{"", "all", "files"}; !slices.Equal(subs, want) {
		t.Fatalf("deliveries to %q, want %q", subs, want)
	}

	// Validation by token, and a reopen.
	if err := db.ValidateSubscription(ctx, "waiting", "wrong", t0); callrec.KindOf(err) != callrec.KindNotFound {
		t.Fatalf("wrong token: %v", err)
	}
	if err := db.ValidateSubscription(ctx, "waiting", "tok-waiting", t0); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Subscription(ctx, "waiting")
	if err != nil || got.State != callrec.SubscriptionValidated || got.Secret != "k-waiting" {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if err := db.DeleteSubscription(ctx, "all"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSubscription(ctx, "all"); callrec.CodeOf(err) != CodeSubscriptionNotFound {
		t.Fatalf("second delete: %v", err)
	}
	if ds, _ := db.Deliveries(ctx, "", 100); len(ds) != 3 {
		t.Fatalf("%d deliveries after deleting a subscription, want its queued one kept (3)", len(ds))
	}
}

// TestReplayDeadLetter checks that only a dead delivery can be replayed and
// that a replay restores a full attempt budget and time to live.
func TestReplayDeadLetter(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	ev := callrec.Outgoing{
		Event:   callrec.Event{ID: "e1", Type: "T", Source: "s", Subject: "x", Time: t0, Data: []byte(`{}`)},
		Targets: []callrec.Target{{URL: "http://127.0.0.1:1/cb", Schema: callrec.SchemaEventGrid}},
	}
	if err := db.EndCall(ctx, "c1", t0, ev); err != nil {
		t.Fatal(err)
	}
	ds, _ := db.Deliveries(ctx, "", 10)
	id := ds[0].ID
	if err := db.ReplayDeadLetter(ctx, id, t0); callrec.CodeOf(err) != CodeDeadLetterNotFound {
		t.Fatalf("replaying a pending delivery: %v", err)
	}
	if err := db.RecordAttempts(ctx, []callrec.AttemptRecord{{ID: id, Attempt: callrec.Attempt{At: t0, HTTPStatus: 400, Error: "DeliveryRejected: HTTP 400", Status: callrec.DeliveryDead}}}); err != nil {
		t.Fatal(err)
	}
	dead, err := db.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].LastStatus != 400 {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	later := t0.Add(48 * time.Hour)
	if err := db.ReplayDeadLetter(ctx, id, later); err != nil {
		t.Fatal(err)
	}
	d, err := db.Delivery(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != callrec.DeliveryPending || d.Attempts != 0 || !d.NextAttemptAt.Equal(later) || !d.CreatedAt.Equal(later) || d.Event.ID != "e1" {
		t.Fatalf("replayed delivery %+v", d)
	}
	due, _, err := db.ClaimDue(ctx, callrec.Claim{Now: later, Limit: 10, Lease: time.Minute})
	if err != nil || len(due) != 1 {
		t.Fatalf("claim after replay: %v %v", due, err)
	}
	if _, err := db.Delivery(ctx, 999); callrec.CodeOf(err) != CodeDeadLetterNotFound {
		t.Fatalf("unknown delivery: %v", err)
	}

	evs, pos, err := db.EventsAfter(ctx, 0, 10)
	if err != nil || len(evs) != 1 || evs[0].ID != "e1" {
		t.Fatalf("events after 0: %v %v", evs, err)
	}
	if last, _ := db.LastEventPosition(ctx); last != pos[0] {
		t.Fatalf("last position %d, want %d", last, pos[0])
	}
	if evs, _, _ := db.EventsAfter(ctx, pos[0], 10); len(evs) != 0 {
		t.Fatalf("events after the last: %v", evs)
	}
}
