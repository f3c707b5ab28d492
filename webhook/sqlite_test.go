package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/sqlite"
)

// The worker drains the real SQLite outbox: events written in the same
// transaction as a state change reach their receivers, retried on 500,
// dead-lettered on 400, signed with the callback and subscription secrets;
// a worker stopped half-way and a new worker on the reopened file finish
// the job.
func TestWorkerOnSQLiteOutbox(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "callrec.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}

	// Each event fails once at the callback receiver, then succeeds.
	var mu sync.Mutex
	seen := map[string]int{}
	callbacks := newReceiver(t, func(_ int, r *http.Request) reply {
		body, _ := io.ReadAll(r.Body)
		id, err := parseEventID(body)
		if err != nil {
			t.Error(err)
			return reply{status: http.StatusBadRequest}
		}
		mu.Lock()
		defer mu.Unlock()
		seen[id]++
		if seen[id] == 1 {
			return reply{status: http.StatusInternalServerError, delay: 10 * time.Millisecond}
		}
		return reply{status: http.StatusOK, delay: 10 * time.Millisecond}
	})
	subscriber := newReceiver(t, func(int, *http.Request) reply { return reply{status: http.StatusOK} })
	rejecter := newReceiver(t, func(int, *http.Request) reply { return reply{status: http.StatusBadRequest, body: "unknown event"} })

	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "call-1", State: callrec.CallActive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	const events = 12
	var evs []callrec.Event
	for i := range events {
		ev := testEvent(500 + i)
		ev.Time = time.Now().UTC().Truncate(time.Millisecond)
		evs = append(evs, ev)
		out := callrec.Outgoing{Event: ev, Targets: []callrec.Target{
			{URL: callbacks.srv.URL + "/cb?token=abc", Schema: callrec.SchemaCloudEventsArray},
			{URL: subscriber.srv.URL + "/events", Schema: callrec.SchemaEventGrid, Subscription: "files"},
			{URL: rejecter.srv.URL, Schema: callrec.SchemaCloudEvents, Subscription: "strict"},
		}}
		if err := db.JoinParticipant(ctx, "call-1", fmt.Sprintf("8:acs:p%d", i), time.Now(), out); err != nil {
			t.Fatal(err)
		}
	}

	cfg := Config{
		Outbox: db, Policy: fastPolicy(), Concurrency: 4, PerTargetConcurrency: 2, PollInterval: 50 * time.Millisecond,
		Lease: 2500 * time.Millisecond, CallbackSecret: "callback-key",
		Secrets: func(sub string) string { return map[string]string{"files": "files-key"}[sub] },
	}
	count := func(s callrec.DeliveryStatus) int {
		ds, err := db.Deliveries(ctx, s, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	_, stop := startWorker(t, cfg)
	waitFor(t, "some deliveries", func() bool { return count(callrec.DeliveryDelivered) >= 4 })
	stop()
	if n := count(callrec.DeliveryPending); n == 0 {
		t.Fatal("the first worker finished everything; it was not stopped mid-way")
	} else {
		t.Logf("first worker stopped with %d deliveries pending", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.Outbox = db
	startWorker(t, cfg)
	waitFor(t, "every delivery final", func() bool { return count(callrec.DeliveryPending) == 0 })

	all, err := db.Deliveries(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3*events {
		t.Fatalf("%d deliveries in the outbox, want %d", len(all), 3*events)
	}
	for _, d := range all {
		switch d.Target.Subscription {
		case "":
			if d.Status != callrec.DeliveryDelivered || d.Attempts != 2 || d.LastStatus != 200 {
				t.Errorf("callback delivery %d: %s after %d attempts (last %d %q); want delivered on the 2nd", d.ID, d.Status, d.Attempts, d.LastStatus, d.LastError)
			}
		case "files":
			if d.Status != callrec.DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("subscription delivery %d: %s after %d attempts", d.ID, d.Status, d.Attempts)
			}
		case "strict":
			if d.Status != callrec.DeliveryDead || d.Attempts != 1 || d.LastStatus != 400 || !strings.HasPrefix(d.LastError, DeadRejected+": HTTP 400") {
				t.Errorf("rejected delivery %d: %s after %d attempts, %d %q", d.ID, d.Status, d.Attempts, d.LastStatus, d.LastError)
			}
		}
	}

	// Every callback carried its event's id on both attempts, signed with
	// the callback key; every subscription delivery with the subscription key;
	// the unsigned subscription carried no signature.
	for id, n := range seen {
		if n != 2 {
			t.Errorf("event %s reached the callback %d times, want 2", id, n)
		}
	}
	if len(seen) != events {
		t.Errorf("callbacks saw %d events, want %d", len(seen), events)
	}
	for _, r := range callbacks.requests() {
		if err := VerifySignature(r.header.Get(SignatureHeader), "callback-key", r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("callback signature: %v", err)
		}
	}
	for _, r := range subscriber.requests() {
		if err := VerifySignature(r.header.Get(SignatureHeader), "files-key", r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("subscription signature: %v", err)
		}
		if r.header.Get("aeg-subscription-name") != "files" || r.header.Get("aeg-event-type") != "Notification" {
			t.Errorf("event grid headers %v", r.header)
		}
	}
	for _, r := range rejecter.requests() {
		if r.header.Get(SignatureHeader) != "" {
			t.Error("a subscription without a secret got a signature")
		}
	}
}
