package app_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/sqlite"
	"github.com/callrec/callrec/webhook"
)

// steadyRetries retries every 300 ms: slow enough to stop and restart the
// node between two attempts, fast enough for a test.
func steadyRetries() testserver.Option {
	return testserver.WithConfig(func(c *app.Config) {
		c.WebhookPolicy = webhook.RetryPolicy{
			Schedule:       []time.Duration{300 * time.Millisecond},
			Then:           300 * time.Millisecond,
			Jitter:         -1,
			AttemptTimeout: 2 * time.Second,
		}
		c.WebhookPollInterval = 100 * time.Millisecond
	})
}

// TestDeliverySurvivesOutagesAndRestarts is the acceptance test of delivery: the
// receiver is unreachable for the first 3 attempts, then answers 500 twice,
// then 200; the node is stopped and started again on the same data between
// attempts. The event arrives once as a success, with the same id on every
// attempt, and the outbox agrees.
func TestDeliverySurvivesOutagesAndRestarts(t *testing.T) {
	const secret = "s3cret-for-tests"
	rc := newEventReceiver(secret)
	recvURL, stopRecv := serveOn(t, "127.0.0.1:0", rc)

	s := testserver.Start(t, steadyRetries())
	dataDir := s.DataDir
	c := sdkClient(t, s)
	ctx := context.Background()
	sub, err := c.Events().Subscribe(ctx, callrec.Subscription{
		Name: "files", URL: recvURL + "/hook", Schema: callrec.SchemaEventGrid, Secret: secret,
		Types: []string{callrec.EventRecordingFileStatusUpdated},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sub.State != callrec.SubscriptionValidated || rc.validated != 1 {
		t.Fatalf("subscription %+v after %d handshakes, want validated after 1", sub, rc.validated)
	}
	stopRecv() // unreachable from now on: connection refused

	recordingID := recordAndStop(t, c)
	attempts := func() int {
		ds := deliveriesTo(t, s, "files")
		if len(ds) != 1 {
			t.Fatalf("%d deliveries to the subscription, want 1", len(ds))
		}
		return ds[0].Attempts
	}
	for n := 1; n <= 3; n++ {
		waitFor(t, "attempt "+strconv.Itoa(n), 20*time.Second, func() bool { return attempts() >= n })
		s.Stop() // no attempt can happen until the next Start
		if got := attemptsOnDisk(t, dataDir); got != n {
			t.Fatalf("%d attempts recorded, want %d", got, n)
		}
		if n == 3 {
			// Reachable again, on the same address, answering 500 twice.
			rc.mu.Lock()
			rc.fail, rc.failStatus = 2, http.StatusInternalServerError
			rc.mu.Unlock()
			serveOn(t, hostOf(recvURL), rc)
		}
		s = testserver.Start(t, steadyRetries(), testserver.WithDataDir(dataDir))
	}
	waitFor(t, "the first 500", 20*time.Second, func() bool { return len(rc.snapshot()) >= 1 })
	s.Stop()
	s = testserver.Start(t, steadyRetries(), testserver.WithDataDir(dataDir))
	waitFor(t, "delivery", 20*time.Second, func() bool {
		ds := deliveriesTo(t, s, "files")
		return ds[0].Status == callrec.DeliveryDelivered
	})

	hits := rc.snapshot()
	var statuses []int
	for _, h := range hits {
		statuses = append(statuses, h.Status)
	}
	if len(hits) != 3 || statuses[0] != 500 || statuses[1] != 500 || statuses[2] != 200 {
		t.Fatalf("receiver answered %v, want [500 500 200]", statuses)
	}
	firstID := hits[0].Events[0]["id"]
	for i, h := range hits {
		if id := h.Events[0]["id"]; id != firstID {
			t.Errorf("attempt %d carried id %v, attempt 1 %v", i+4, id, firstID)
		}
		if got, want := h.Header.Get(webhook.HeaderEventGridDeliveryCount), strconv.Itoa(3+i); got != want {
			t.Errorf("aeg-delivery-count %q on attempt %d, want %s", got, i+4, want)
		}
		if rid := h.Events[0]["data"].(map[string]any)["recordingId"]; rid != recordingID {
			t.Errorf("event for recording %v, want %s", rid, recordingID)
		}
	}
	d := deliveriesTo(t, s, "files")[0]
	if d.Attempts != 6 || d.Status != callrec.DeliveryDelivered || d.LastStatus != 200 || d.Event.ID != firstID {
		t.Fatalf("outbox row %+v, want 6 attempts, delivered, 200, id %v", d, firstID)
	}
	t.Logf("event %s delivered on attempt 6 across 4 node restarts (3 refused, 2×500, 200)", d.Event.ID)
}

func hostOf(u string) string { return u[len("http://"):] }

// attemptsOnDisk reads the attempt count of the only subscription delivery
// from a stopped node's database.
func attemptsOnDisk(t *testing.T, dataDir string) int {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dataDir, "callrec.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds, err := db.Deliveries(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Target.Subscription != "" {
			return d.Attempts
		}
	}
	t.Fatal("no subscription delivery on disk")
	return 0
}
