package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// testFanOut: an event stored by a state change gets one delivery per
// validated subscription whose type and subject filters match, besides its
// own targets, in the same transaction; subscriptions and their state
// survive a reopen.
func testFanOut(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	deadline := t0.Add(5 * time.Minute)
	put := func(name string, state callrec.SubscriptionState, types []string, prefix string) {
		t.Helper()
		s := &callrec.Subscription{Name: name, URL: "http://127.0.0.1:1/" + name, Schema: callrec.SchemaEventGrid,
			Types: types, SubjectPrefix: prefix, Secret: "k-" + name, State: state, CreatedAt: t0}
		if state == callrec.SubscriptionAwaitingValidation {
			s.ValidationDeadline = &deadline
		}
		if err := db.PutSubscription(ctx, s, "tok-"+name); err != nil {
			t.Fatal(err)
		}
	}
	put("all", callrec.SubscriptionValidated, nil, "")
	put("files", callrec.SubscriptionValidated, []string{"microsoft.communication.recordingfilestatusupdated"}, "")
	put("other-call", callrec.SubscriptionValidated, nil, "/recording/call/c2/")
	put("waiting", callrec.SubscriptionAwaitingValidation, nil, "")
	put("late", callrec.SubscriptionAwaitingValidation, nil, "")

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

	// Validation by token, within the deadline; and a reopen.
	if err := db.ValidateSubscription(ctx, "waiting", "wrong", t0); callrec.KindOf(err) != callrec.KindNotFound {
		t.Fatalf("wrong token: %v", err)
	}
	if err := db.ValidateSubscription(ctx, "late", "tok-late", deadline.Add(time.Second)); callrec.KindOf(err) != callrec.KindInvalid {
		t.Fatalf("validation after the deadline: %v", err)
	}
	if err := db.ValidateSubscription(ctx, "waiting", "tok-waiting", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSubscriptionState(ctx, "late", callrec.SubscriptionFailed, "handshake refused", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSubscriptionState(ctx, "nope", callrec.SubscriptionFailed, "", nil); callrec.CodeOf(err) != callrec.CodeSubscriptionNotFound {
		t.Fatalf("state of a missing subscription: %v", err)
	}
	db.Close()
	db = open(t)
	got, err := db.Subscription(ctx, "waiting")
	if err != nil || got.State != callrec.SubscriptionValidated || got.Secret != "k-waiting" || got.ValidationDeadline != nil ||
		!got.CreatedAt.Equal(t0) {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if got, _ := db.Subscription(ctx, "late"); got.State != callrec.SubscriptionFailed || got.Reason != "handshake refused" {
		t.Fatalf("failed subscription: %+v", got)
	}
	if got, _ := db.Subscription(ctx, "files"); !slices.Equal(got.Types, []string{"microsoft.communication.recordingfilestatusupdated"}) {
		t.Fatalf("types %q", got.Types)
	}
	if tok, err := db.SubscriptionToken(ctx, "late"); err != nil || tok != "tok-late" {
		t.Fatalf("token %q %v", tok, err)
	}
	all, err := db.Subscriptions(ctx)
	if err != nil || len(all) != 5 || all[0].Name != "all" || all[4].Name != "waiting" {
		t.Fatalf("subscriptions %+v %v", all, err)
	}
	if err := db.DeleteSubscription(ctx, "all"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSubscription(ctx, "all"); callrec.CodeOf(err) != callrec.CodeSubscriptionNotFound {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := db.Subscription(ctx, "all"); callrec.CodeOf(err) != callrec.CodeSubscriptionNotFound {
		t.Fatalf("deleted subscription: %v", err)
	}
	if ds, _ := db.Deliveries(ctx, "", 100); len(ds) != 3 {
		t.Fatalf("%d deliveries after deleting a subscription, want its queued one kept (3)", len(ds))
	}
}

// testReplayDeadLetter: only a dead delivery can be replayed, and a replay
// restores a full attempt budget and time to live; the event feed reads
// events after a position.
func testReplayDeadLetter(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.EndCall(ctx, "c1", t0, event("e1", "T", t0, "http://127.0.0.1:1/cb")); err != nil {
		t.Fatal(err)
	}
	ds, _ := db.Deliveries(ctx, "", 10)
	id := ds[0].ID
	if err := db.ReplayDeadLetter(ctx, id, t0); callrec.CodeOf(err) != callrec.CodeDeadLetterNotFound {
		t.Fatalf("replaying a pending delivery: %v", err)
	}
	if err := db.RecordAttempts(ctx, []callrec.AttemptRecord{{ID: id, Attempt: callrec.Attempt{At: t0, HTTPStatus: 400,
		Error: "DeliveryRejected: HTTP 400", Status: callrec.DeliveryDead}}}); err != nil {
		t.Fatal(err)
	}
	dead, err := db.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].LastStatus != 400 || dead[0].LastError != "DeliveryRejected: HTTP 400" {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	later := t0.Add(48 * time.Hour).Truncate(time.Millisecond)
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
	if _, err := db.Delivery(ctx, 999); callrec.CodeOf(err) != callrec.CodeDeadLetterNotFound {
		t.Fatalf("unknown delivery: %v", err)
	}

	if err := db.JoinParticipant(ctx, "c1", "8:acs:b", t0, event("e2", "T", t0, "http://127.0.0.1:1/cb")); err != nil {
		t.Fatal(err)
	}
	evs, pos, err := db.EventsAfter(ctx, 0, 10)
	if err != nil || len(evs) != 2 || evs[0].ID != "e1" || evs[1].ID != "e2" || pos[1] <= pos[0] {
		t.Fatalf("events after 0: %v %v %v", evs, pos, err)
	}
	if last, _ := db.LastEventPosition(ctx); last != pos[1] {
		t.Fatalf("last position %d, want %d", last, pos[1])
	}
	if evs, _, _ := db.EventsAfter(ctx, pos[0], 10); len(evs) != 1 || evs[0].ID != "e2" {
		t.Fatalf("events after the first: %v", evs)
	}
	if evs, _, _ := db.EventsAfter(ctx, pos[1], 10); len(evs) != 0 {
		t.Fatalf("events after the last: %v", evs)
	}
}
