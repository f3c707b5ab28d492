package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// testCallConnections: a call connection is stored with its events,
// replaced in place, listed per call oldest first, and survives reopening;
// an unknown id is CallConnectionNotFound; AddEvents stores events alone,
// fanned out to the subscriptions.
func testCallConnections(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "c1", State: callrec.CallActive, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	a := &callrec.CallConnection{ID: "a", ServerCallID: "c1", CorrelationID: "corr", State: callrec.ConnectionConnecting,
		CallbackURI: "http://127.0.0.1:1/cb", Inbound: true, Source: "4:+14255550100", Targets: []string{"4:+18005550100"},
		AnsweredFor: "4:+18005550100", CreatedAt: t0}
	b := &callrec.CallConnection{ID: "b", ServerCallID: "c1", State: callrec.ConnectionConnecting, Targets: []string{"sip:bob@example.com"},
		CreatedAt: t0.Add(time.Second)}
	if err := db.PutCallConnection(ctx, a, event("e1", "Microsoft.Communication.CallConnected", t0, a.CallbackURI)); err != nil {
		t.Fatal(err)
	}
	if err := db.PutCallConnection(ctx, b); err != nil {
		t.Fatal(err)
	}
	ended := t0.Add(time.Minute)
	a.State, a.EndedAt = callrec.ConnectionDisconnected, &ended
	if err := db.PutCallConnection(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.AddEvents(ctx, event("e2", "Microsoft.Communication.IncomingCall", t0, "http://127.0.0.1:1/eg")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = open(t)
	got, err := db.CallConnection(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", got, a)
	}
	list, err := db.CallConnectionsOfCall(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" || list[1].State != callrec.ConnectionConnecting {
		t.Fatalf("connections of c1: %+v", list)
	}
	if list, err := db.CallConnectionsOfCall(ctx, "other"); err != nil || len(list) != 0 {
		t.Fatalf("connections of another call: %v, %v", list, err)
	}
	if _, err := db.CallConnection(ctx, "nope"); callrec.CodeOf(err) != callrec.CodeCallConnectionNotFound || callrec.KindOf(err) != callrec.KindNotFound {
		t.Fatalf("unknown connection: %v", err)
	}
	for _, typ := range []string{"Microsoft.Communication.CallConnected", "Microsoft.Communication.IncomingCall"} {
		evs, err := db.Events(ctx, typ)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events %s: %v, %v", typ, evs, err)
		}
	}
	pending, err := db.Deliveries(ctx, callrec.DeliveryPending, 10)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending deliveries: %v, %v", pending, err)
	}
}
