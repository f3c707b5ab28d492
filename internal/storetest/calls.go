package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// testCalls: a call and its participants (a rejoin keeps the first join)
// survive closing the store and opening it again.
func testCalls(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); callrec.CodeOf(err) != callrec.CodeCallExists {
		t.Fatalf("duplicate call: %v", err)
	}
	steps := []error{
		db.JoinParticipant(ctx, "c1", "8:acs:a", t0.Add(time.Second)),
		db.LeaveParticipant(ctx, "c1", "8:acs:a", t0.Add(2*time.Second)),
		db.JoinParticipant(ctx, "c1", "8:acs:a", t0.Add(3*time.Second)), // rejoin: same participant
		db.JoinParticipant(ctx, "c1", "4:+14255550123", t0.Add(4*time.Second)),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = open(t)
	c, err := db.Call(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Participants) != 2 || c.Participants[0].RawID != "8:acs:a" || !c.Participants[0].JoinedAt.Equal(t0.Add(time.Second)) ||
		c.Participants[0].LeftAt != nil || c.Participants[1].RawID != "4:+14255550123" {
		t.Fatalf("participants after rejoin: %+v", c.Participants)
	}
	if !c.CreatedAt.Equal(t0) || c.State != callrec.CallActive || c.EndedAt != nil {
		t.Fatalf("call %+v", c)
	}
	if _, err := db.Call(ctx, "nope"); callrec.CodeOf(err) != callrec.CodeCallNotFound {
		t.Fatalf("missing call: %v", err)
	}
	end := t0.Add(time.Minute)
	if err := db.EndCall(ctx, "c1", end); err != nil {
		t.Fatal(err)
	}
	if err := db.EndCall(ctx, "c1", end); callrec.CodeOf(err) != callrec.CodeCallNotFound {
		t.Fatalf("ending an ended call: %v", err)
	}
	c, err = db.Call(ctx, "c1")
	if err != nil || c.State != callrec.CallEnded || c.EndedAt == nil || !c.EndedAt.Equal(end) {
		t.Fatalf("ended call %+v, %v", c, err)
	}
	for _, p := range c.Participants {
		if p.LeftAt == nil || !p.LeftAt.Equal(end) {
			t.Errorf("participant %s still in the ended call: %+v", p.RawID, p)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}

// testAtomicEvents: a state change whose event cannot be stored (its id is
// taken) is not stored either, and neither are the deliveries of the
// events before it in the same change.
func testAtomicEvents(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.JoinParticipant(ctx, "c1", "8:acs:a", t0, event("e1", "Joined", t0, "http://127.0.0.1:1/cb")); err != nil {
		t.Fatal(err)
	}
	err := db.EndCall(ctx, "c1", t0.Add(time.Second),
		event("e2", "Ended", t0, "http://127.0.0.1:1/cb"), event("e1", "Again", t0, "http://127.0.0.1:1/cb"))
	if err == nil {
		t.Fatal("a change whose event id is taken was stored")
	}
	c, err := db.Call(ctx, "c1")
	if err != nil || c.State != callrec.CallActive || c.EndedAt != nil || c.Participants[0].LeftAt != nil {
		t.Fatalf("the call changed although its events were refused: %+v %v", c, err)
	}
	evs, err := db.Events(ctx, "")
	if err != nil || len(evs) != 1 || evs[0].ID != "e1" {
		t.Fatalf("events %+v %v, want e1 alone", evs, err)
	}
	if ds, _ := db.Deliveries(ctx, "", 10); len(ds) != 1 {
		t.Fatalf("%d deliveries, want e1's alone", len(ds))
	}

	r := &callrec.Recording{ID: "r1", Spec: callrec.RecordingSpec{ServerCallID: "c1"}, State: callrec.StateActive, StartedAt: t0}
	if _, _, err := db.CreateRecording(ctx, r, event("e1", "Started", t0, "http://127.0.0.1:1/cb")); err == nil {
		t.Fatal("a recording whose event id is taken was stored")
	}
	if _, err := db.Recording(ctx, "r1"); callrec.CodeOf(err) != callrec.CodeRecordingNotFound {
		t.Fatalf("the refused recording: %v", err)
	}
}
