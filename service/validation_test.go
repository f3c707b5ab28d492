package service_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/service"
	"github.com/callrec/callrec/sqlite"
	"github.com/callrec/callrec/webhook"
)

// runSubscriptions is a manager with fast handshake retries whose Run goes
// until the test ends.
func runSubscriptions(t *testing.T, deadline time.Duration) *service.Subscriptions {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "callrec.db"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := service.NewSubscriptions(t.Context(), service.SubscriptionsConfig{
		Store: db, Validator: webhook.Handshake{Timeout: 2 * time.Second}, PublicURL: "http://127.0.0.1:1",
		ValidationDeadline: deadline, ValidationRetries: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return m
}

// cloudEventsEndpoint refuses the CloudEvents handshake until it has been
// asked refusals times (forever when refusals < 0), and counts the asks.
func cloudEventsEndpoint(t *testing.T, refusals int32) (string, *atomic.Int32) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := asked.Add(1); refusals < 0 || n <= refusals {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set(webhook.HeaderWebHookAllowedOrigin, "*")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &asked
}

// An endpoint that fails the handshake is retried with backoff and
// validated when it passes; the representation says where it stands.
func TestFailedHandshakeIsRetriedUntilItPasses(t *testing.T) {
	m := runSubscriptions(t, time.Minute)
	url, asked := cloudEventsEndpoint(t, 2)
	got, _, err := m.Put(t.Context(), callrec.Subscription{Name: "later", URL: url, Schema: callrec.SchemaCloudEvents})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != callrec.SubscriptionAwaitingValidation || got.ProvisioningState != callrec.ProvisioningAwaitingManualAction ||
		got.ValidationAttempts != 1 || got.NextValidationAttempt == nil || got.ValidationDeadline == nil {
		t.Fatalf("after a refused handshake: %+v", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err = m.Get(t.Context(), "later")
		if err != nil {
			t.Fatal(err)
		}
		if got.State == callrec.SubscriptionValidated || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got.State != callrec.SubscriptionValidated || got.ProvisioningState != callrec.ProvisioningSucceeded || got.Reason != "" {
		t.Fatalf("after retries: %+v (endpoint asked %d times)", got, asked.Load())
	}
	if n := asked.Load(); n != 3 {
		t.Errorf("endpoint asked %d times, want 3 (two refusals, one pass)", n)
	}
}

// Retries are bounded: an endpoint that always refuses is asked a few times
// until the validation deadline, then the subscription reads failed and is
// asked no more.
func TestHandshakeRetriesStopAtTheDeadline(t *testing.T) {
	const deadline = 400 * time.Millisecond
	m := runSubscriptions(t, deadline)
	url, asked := cloudEventsEndpoint(t, -1)
	if _, _, err := m.Put(t.Context(), callrec.Subscription{Name: "never", URL: url, Schema: callrec.SchemaCloudEvents}); err != nil {
		t.Fatal(err)
	}
	var got *callrec.Subscription
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		var err error
		if got, err = m.Get(t.Context(), "never"); err != nil {
			t.Fatal(err)
		}
		if got.State == callrec.SubscriptionFailed {
			break
		}
	}
	if got.State != callrec.SubscriptionFailed || got.ProvisioningState != callrec.ProvisioningFailed || got.NextValidationAttempt != nil {
		t.Fatalf("after the deadline: %+v", got)
	}
	n := asked.Load()
	time.Sleep(300 * time.Millisecond)
	// The first try, then retries 50 ms and 100 ms apart within 400 ms.
	if later := asked.Load(); later != n || n < 2 || n > 6 {
		t.Errorf("endpoint asked %d times by the deadline and %d after; want 2–6 and none after", n, later)
	}
	if got.ValidationAttempts != int(n) {
		t.Errorf("validationAttempts %d, endpoint asked %d times", got.ValidationAttempts, n)
	}
}
