package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/webhook"
)

// cloudEventsEndpoint refuses the CloudEvents handshake with a 404 the
// first refusals times it is asked (always when refusals < 0).
func cloudEventsEndpoint(t *testing.T, refusals int32) string {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := asked.Add(1); refusals < 0 || n <= refusals {
			http.Error(w, "no such hook", http.StatusNotFound)
			return
		}
		w.Header().Set(webhook.HeaderWebHookAllowedOrigin, "*")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// `events subscribe` fails, saying why, when the handshake fails; with
// --wait it waits for the server's retries and succeeds when one passes.
func TestSubscribeReportsAFailedHandshake(t *testing.T) {
	s := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.ValidationDeadline = time.Minute
		c.ValidationRetries = []time.Duration{100 * time.Millisecond}
	}))
	ctx := t.Context()

	out, err := runEventsCLI(t, ctx, s.ConnectionString, "subscribe", "--name", "refused",
		"--url", cloudEventsEndpoint(t, -1), "--schema", "cloudevents")
	if err == nil || !strings.Contains(err.Error(), `subscription "refused" is awaitingValidation, not validated`) ||
		!strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("subscribe to a refusing endpoint: err %v", err)
	}
	var sub callrec.Subscription
	if jerr := json.Unmarshal([]byte(out), &sub); jerr != nil || sub.State != callrec.SubscriptionAwaitingValidation ||
		sub.ProvisioningState != callrec.ProvisioningAwaitingManualAction || sub.NextValidationAttempt == nil ||
		sub.ValidationAttempts != 1 {
		t.Fatalf("subscribe printed %s (%v)", out, jerr)
	}

	// Refused once, then passes: --wait sees the server's retry validate it.
	out, err = runEventsCLI(t, ctx, s.ConnectionString, "subscribe", "--name", "retried",
		"--url", cloudEventsEndpoint(t, 1), "--schema", "cloudevents", "--wait", "30s")
	if err != nil {
		t.Fatalf("subscribe --wait: %v\n%s", err, out)
	}
	if jerr := json.Unmarshal([]byte(out), &sub); jerr != nil || sub.State != callrec.SubscriptionValidated ||
		sub.ProvisioningState != callrec.ProvisioningSucceeded {
		t.Fatalf("subscribe --wait printed %s (%v)", out, jerr)
	}
}

// syncBuffer is a strings.Builder that a command writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// `events tail` survives a server restart: it says on stderr that it
// reconnects, and prints every event, those stored after the restart
// included, exactly once.
func TestTailReconnectsAfterARestart(t *testing.T) {
	s := testserver.Start(t)
	addr, dir, cs := strings.TrimPrefix(s.URL, "http://"), s.DataDir, s.ConnectionString
	ctx := t.Context()
	c, err := callautomation.NewCallAutomationClient(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}

	first := recordAndStop(t, c)
	var stdout, stderr syncBuffer
	tailCtx, stopTail := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runEventsCLITo(t, tailCtx, cs, &stdout, &stderr, "tail", "--after", "0") }()
	wait("the first recording's events", func() bool { return strings.Contains(stdout.String(), first) })

	s.Stop()
	wait("tail to say it reconnects", func() bool { return strings.Contains(stderr.String(), "reconnecting in") })
	s = testserver.Start(t, testserver.WithDataDir(dir), testserver.WithAddr(addr))
	// A fresh client: the old one's idle connections went with the server.
	if c, err = callautomation.NewCallAutomationClient(cs, nil); err != nil {
		t.Fatal(err)
	}
	second := recordAndStop(t, c)
	wait("the second recording's events", func() bool { return strings.Contains(stdout.String(), second) })
	stopTail()
	if err := <-done; err != nil {
		t.Fatalf("tail: %v", err)
	}

	stored, err := s.App.DB.Events(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	printed := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var e callrec.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("tail printed %q: %v", line, err)
		}
		printed[e.ID]++
	}
	for _, e := range stored {
		if printed[e.ID] != 1 {
			t.Errorf("event %s (%s) printed %d times", e.ID, e.Type, printed[e.ID])
		}
	}
	if len(printed) != len(stored) {
		t.Errorf("tail printed %d events, %d stored", len(printed), len(stored))
	}
	t.Logf("stderr: %s", strings.TrimSpace(stderr.String()))
}
