package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// testRecordingsAndOutbox: a repeated start returns the first recording;
// the start's event is claimed once per lease, retried when its attempt
// says so, and done once delivered; an update is read back.
func testRecordingsAndOutbox(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	r := &callrec.Recording{ID: "r1", Spec: callrec.RecordingSpec{ServerCallID: "c1", Channel: callrec.ChannelMixed},
		State: callrec.StateActive, RepeatabilityID: "k1", StartedAt: now}
	got, created, err := db.CreateRecording(ctx, r, event("e1", callrec.EventRecordingStateChanged, now, "http://127.0.0.1:1/cb"))
	if err != nil || !created || got.ID != "r1" {
		t.Fatalf("create: %v %v %v", got, created, err)
	}
	again := &callrec.Recording{ID: "r2", Spec: r.Spec, State: callrec.StateActive, RepeatabilityID: "k1", StartedAt: now}
	got, created, err = db.CreateRecording(ctx, again, event("e2", callrec.EventRecordingStateChanged, now, "http://127.0.0.1:1/cb"))
	if err != nil || created || got.ID != "r1" || got.Spec.Channel != callrec.ChannelMixed || !got.StartedAt.Equal(now) {
		t.Fatalf("repeat: %+v %v %v", got, created, err)
	}
	if evs, _ := db.Events(ctx, ""); len(evs) != 1 {
		t.Fatalf("a repeated start stored its event: %+v", evs)
	}

	due, _, err := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Minute})
	if err != nil || len(due) != 1 || due[0].Event.ID != "e1" || string(due[0].Event.Data) != `{"a":1}` ||
		due[0].NextAttemptAt.UnixMilli() != now.UnixMilli() || !due[0].Event.Time.Equal(now) {
		t.Fatalf("claim: %+v %v", due, err)
	}
	if again, _, _ := db.ClaimDue(ctx, callrec.Claim{Now: now, Limit: 10, Lease: time.Minute}); len(again) != 0 {
		t.Fatalf("leased delivery claimed twice: %+v", again)
	}
	if n, _ := pendingNext(ctx, db); n.UnixMilli() != now.Add(time.Minute).UnixMilli() {
		t.Fatalf("next due %v, want the lease's end", n)
	}
	next := now.Add(10 * time.Second)
	if err := db.RecordAttempts(ctx, []callrec.AttemptRecord{{ID: due[0].ID, Attempt: callrec.Attempt{At: now, HTTPStatus: 500,
		Error: "HTTP 500", Next: next, Status: callrec.DeliveryPending}}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := pendingNext(ctx, db); n.UnixMilli() != next.UnixMilli() {
		t.Fatalf("next due %v want %v", n, next)
	}
	due, _, _ = db.ClaimDue(ctx, callrec.Claim{Now: next, Limit: 10, Lease: time.Minute})
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastStatus != 500 || due[0].LastError != "HTTP 500" {
		t.Fatalf("second claim: %+v", due)
	}
	db.RecordAttempts(ctx, []callrec.AttemptRecord{{ID: due[0].ID, Attempt: callrec.Attempt{At: next, HTTPStatus: 200, Status: callrec.DeliveryDelivered}}})
	if n, _ := pendingNext(ctx, db); !n.IsZero() {
		t.Fatalf("nothing should be due, got %v", n)
	}
	if counts, err := db.CountDeliveries(ctx); err != nil || counts[callrec.DeliveryDelivered] != 1 || counts[callrec.DeliveryPending] != 0 {
		t.Fatalf("counts %v %v", counts, err)
	}

	if live, _ := db.LiveRecordings(ctx); len(live) != 1 || live[0].ID != "r1" {
		t.Fatalf("live recordings %+v", live)
	}
	stop := next.Add(time.Second)
	r.State, r.Stopped, r.StoppedAt, r.EndReason = callrec.StateInactive, true, &stop, callrec.EndReasonSessionEnded
	r.Pauses = []callrec.PauseInterval{{Start: now.Add(time.Second), Duration: 1500 * time.Millisecond}}
	r.Chunks = []callrec.Chunk{{DocumentID: "d1", Index: 0, EndReason: callrec.EndReasonSessionEnded}}
	if err := db.UpdateRecording(ctx, r); err != nil {
		t.Fatal(err)
	}
	back, err := db.Recording(ctx, "r1")
	if err != nil || !back.Stopped || back.StoppedAt == nil || !back.StoppedAt.Equal(stop) || len(back.Chunks) != 1 ||
		back.Chunks[0].DocumentID != "d1" || len(back.Pauses) != 1 || !back.Pauses[0].Start.Equal(now.Add(time.Second)) || back.Pauses[0].Duration != 1500*time.Millisecond {
		t.Fatalf("updated recording: %+v %v", back, err)
	}
	if live, _ := db.RecordingsOfCall(ctx, "c1"); len(live) != 0 {
		t.Fatalf("stopped recording listed as live: %+v", live)
	}
	if err := db.UpdateRecording(ctx, &callrec.Recording{ID: "nope"}); callrec.CodeOf(err) != callrec.CodeRecordingNotFound {
		t.Fatalf("updating a missing recording: %v", err)
	}
}

// testIdempotentStartAcrossHandles: starts with one repeatability id from
// two handles at once create one recording; every start gets it.
func testIdempotentStartAcrossHandles(t *testing.T, open Opener) {
	ctx := t.Context()
	a, b := open(t), open(t)
	if err := a.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const starts = 8
	ids := make([]string, starts)
	createdBy := make([]bool, starts)
	var wg sync.WaitGroup
	for i := range starts {
		db := []Store{a, b}[i%2]
		wg.Go(func() {
			r := &callrec.Recording{ID: fmt.Sprint("r", i), Spec: callrec.RecordingSpec{ServerCallID: "c1"},
				State: callrec.StateActive, RepeatabilityID: "same", StartedAt: t0}
			got, created, err := db.CreateRecording(ctx, r, event(fmt.Sprint("e", i), "Started", t0, "http://127.0.0.1:1/cb"))
			if err != nil {
				t.Errorf("start %d: %v", i, err)
				return
			}
			ids[i], createdBy[i] = got.ID, created
		})
	}
	wg.Wait()
	var created int
	for i := range starts {
		if createdBy[i] {
			created++
		}
		if ids[i] != ids[0] {
			t.Errorf("start %d got %s, start 0 got %s", i, ids[i], ids[0])
		}
	}
	if created != 1 {
		t.Errorf("%d starts created a recording, want 1", created)
	}
	if evs, _ := a.Events(ctx, ""); len(evs) != 1 {
		t.Errorf("%d events stored, want the one start's", len(evs))
	}
}

// testEventIDTakenOnce: two handles stop one recording at once, each with
// its chunks and an event of one id (as two nodes finishing a lost node's
// recording do with its file event): the database takes the id once, so
// one update succeeds and the other fails whole: one event, and the
// recording holds the winner's chunks.
func testEventIDTakenOnce(t *testing.T, open Opener) {
	ctx := t.Context()
	a, b := open(t), open(t)
	if err := a.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	r := &callrec.Recording{ID: "r1", Spec: callrec.RecordingSpec{ServerCallID: "c1"}, State: callrec.StateActive, StartedAt: t0}
	if _, _, err := a.CreateRecording(ctx, r); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for i, db := range []Store{a, b} {
		go func() {
			stop := t0.Add(time.Minute)
			mine := &callrec.Recording{ID: "r1", Spec: r.Spec, State: callrec.StateInactive, Stopped: true, StoppedAt: &stop,
				StartedAt: t0, Chunks: []callrec.Chunk{{DocumentID: fmt.Sprint("d", i)}}}
			errs <- db.UpdateRecording(ctx, mine, event("file-r1", callrec.EventRecordingFileStatusUpdated, stop, "http://127.0.0.1:1/files"))
		}()
	}
	var failed int
	for range 2 {
		if <-errs != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d of two updates with one event id failed, want 1", failed)
	}
	evs, err := a.Events(ctx, "")
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %+v %v, want one", evs, err)
	}
	if counts, err := a.CountDeliveries(ctx); err != nil || counts[callrec.DeliveryPending] != 1 {
		t.Fatalf("deliveries %v %v, want one", counts, err)
	}
	back, err := a.Recording(ctx, "r1")
	if err != nil || !back.Stopped || len(back.Chunks) != 1 {
		t.Fatalf("recording after the race: %+v %v", back, err)
	}
}
