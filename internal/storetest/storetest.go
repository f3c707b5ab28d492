// Package storetest is the conformance suite that every callrec state store
// passes (package sqlite and package postgres): calls and participants,
// recordings and idempotent start, the outbox (claims with leases and
// per-destination budgets, several handles claiming at once), event
// subscriptions, dead letters, the event feed, keyset-paged lists, the
// node registry and shared settings of several nodes, call connections,
// and every state change written in one transaction with its events.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/service"
)

// Store is what the suite drives: the state store, its subscriptions and
// dead letters, and the outbox's views for operators.
type Store interface {
	callrec.Store
	callrec.NodeStore
	callrec.CallConnectionStore
	service.SubscriptionStore
	Deliveries(ctx context.Context, status callrec.DeliveryStatus, limit int) ([]callrec.Delivery, error)
	Delivery(ctx context.Context, id int64) (callrec.Delivery, error)
	Events(ctx context.Context, typ string) ([]callrec.Event, error)
	CountDeliveries(ctx context.Context) (map[callrec.DeliveryStatus]int64, error)
	LiveRecordings(ctx context.Context) ([]*callrec.Recording, error)
	Ping(ctx context.Context) error
}

// Opener opens another handle on one database, as another process would;
// the handle is closed when the test ends.
type Opener func(t *testing.T) Store

// NewDatabase creates an empty database for a test and returns its opener.
type NewDatabase func(t *testing.T) Opener

// Run runs the suite; each subtest gets a database of its own.
func Run(t *testing.T, newDB NewDatabase) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"CallsAndParticipantsSurviveReopen", testCalls},
		{"StateChangeAndEventsInOneTransaction", testAtomicEvents},
		{"RecordingRepeatabilityAndOutbox", testRecordingsAndOutbox},
		{"IdempotentStartAcrossHandles", testIdempotentStartAcrossHandles},
		{"ClaimWithinDestinationBudgets", testClaimBudgets},
		{"ClaimsAcrossHandlesNeverOverlap", testCrossNodeClaims},
		{"FanOutToValidatedMatchingSubscriptions", testFanOut},
		{"ReplayDeadLetterAndEventFeed", testReplayDeadLetter},
		{"ListCallsPagesByKeyset", testListCalls},
		{"ListRecordingsFilters", testListRecordings},
		{"SharedSettingFirstWins", testSharedSetting},
		{"NodeRegistryAndTakeOver", testNodeRegistry},
		{"CallConnectionsSurviveReopen", testCallConnections},
		{"EventIDTakenOnce", testEventIDTakenOnce},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, newDB(t)) })
	}
}

// event is an outgoing event of type typ with one target at url.
func event(id, typ string, at time.Time, url string) callrec.Outgoing {
	return callrec.Outgoing{
		Event:   callrec.Event{ID: id, Type: typ, Source: "s", Subject: "s", Time: at, Data: []byte(`{"a":1}`)},
		Targets: []callrec.Target{{URL: url, Schema: callrec.SchemaCloudEventsArray}},
	}
}

// pendingNext is when the earliest pending delivery is due, as a claim of
// nothing reports it.
func pendingNext(ctx context.Context, db Store) (time.Time, error) {
	_, next, err := db.ClaimDue(ctx, callrec.Claim{Now: time.Now()})
	return next, err
}

// t0 has microseconds: PostgreSQL keeps times to the microsecond.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
