package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/webhook"
)

// startHoldingDelivery starts a node with the given drain and attempt
// timeouts and returns once a state callback of one of its recordings is in
// flight to an endpoint that never answers.
func startHoldingDelivery(t *testing.T, drain, attemptTimeout time.Duration) *testserver.Server {
	t.Helper()
	inFlight := make(chan struct{}, 16)
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight <- struct{}{}
		<-r.Context().Done() // never answers; returns when callrec gives up
	})
	hangURL, _ := serveOn(t, "127.0.0.1:0", hang)
	s := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.DrainTimeout = drain
		c.WebhookPolicy = webhook.RetryPolicy{AttemptTimeout: attemptTimeout}
		c.WebhookPollInterval = 100 * time.Millisecond
	}))
	c := sdkClient(t, s)
	call, err := c.Calls().Create(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CallRecording().Start(t.Context(), callautomation.StartRecordingOptions{
		CallLocator:               callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingStateCallbackURI: hangURL + "/events",
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inFlight:
	case <-time.After(30 * time.Second):
		t.Fatal("the state callback never reached the endpoint")
	}
	return s
}

// --drain-timeout reaches the webhook worker: a stopping node gives a
// delivery in flight up to the drain timeout, not the (much longer) attempt
// timeout, and then abandons it to its lease.
func TestDrainTimeoutBoundsDeliveriesInFlight(t *testing.T) {
	const drain, attemptTimeout = time.Second, 60 * time.Second
	s := startHoldingDelivery(t, drain, attemptTimeout)
	begin := time.Now()
	s.Stop()
	// Each drain step (HTTP, media, worker) may take up to the drain
	// timeout; the attempt timeout is far beyond all of them.
	if took := time.Since(begin); took > attemptTimeout/2 {
		t.Errorf("stopping took %s with a %s drain timeout: the worker waited for its %s attempt timeout", took, drain, attemptTimeout)
	} else {
		t.Logf("stopped in %s with a delivery in flight (drain timeout %s)", took.Round(time.Millisecond), drain)
	}
}
