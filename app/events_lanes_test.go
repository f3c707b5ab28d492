package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/webhook"
)

// hangingEndpoint passes Event Grid's validation handshake and then never
// answers a notification; it counts the notifications it holds.
type hangingEndpoint struct {
	mu              sync.Mutex
	inflight, maxIn int
	got             int
}

func (h *hangingEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get(webhook.HeaderEventGridEventType) == "SubscriptionValidation" {
		var evs []struct {
			Data struct {
				ValidationCode string `json:"validationCode"`
			} `json:"data"`
		}
		json.Unmarshal(body, &evs)
		json.NewEncoder(w).Encode(map[string]string{"validationResponse": evs[0].Data.ValidationCode})
		return
	}
	h.mu.Lock()
	h.got++
	h.inflight++
	h.maxIn = max(h.maxIn, h.inflight)
	h.mu.Unlock()
	<-r.Context().Done()
	h.mu.Lock()
	h.inflight--
	h.mu.Unlock()
}

func (h *hangingEndpoint) counts() (got, maxInflight int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got, h.maxIn
}

// TestHangingSubscriberOnlySlowsItself is the tester's finding: with one
// subscriber that never answers, a healthy subscriber still gets every
// event promptly, a state callback to a third host arrives, and the
// hanging one holds no more than its destination's budget of attempts.
func TestHangingSubscriberOnlySlowsItself(t *testing.T) {
	const recordings = 30 // five events each: started, two state changes, stopped, files
	hanging := &hangingEndpoint{}
	hangURL, _ := serveOn(t, "127.0.0.1:0", hanging)
	healthy := newEventReceiver("")
	healthyURL, _ := serveOn(t, "127.0.0.1:0", healthy)
	callbacks := newEventReceiver("")
	callbackURL, _ := serveOn(t, "127.0.0.1:0", callbacks)

	s := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		// The hanging endpoint never times out while the test runs.
		c.WebhookPolicy = webhook.RetryPolicy{AttemptTimeout: 5 * time.Minute}
		c.WebhookPollInterval = 100 * time.Millisecond
		c.DrainTimeout = 500 * time.Millisecond
	}))
	c := sdkClient(t, s)
	ctx := t.Context()
	for name, url := range map[string]string{"hanging": hangURL + "/events", "healthy": healthyURL + "/events"} {
		sub, err := c.Events().Subscribe(ctx, callrec.Subscription{Name: name, URL: url})
		if err != nil || sub.State != callrec.SubscriptionValidated {
			t.Fatalf("subscribe %s: %+v %v", name, sub, err)
		}
	}
	for range recordings {
		recordAndStop(t, c)
	}
	want := len(deliveriesTo(t, s, "healthy"))
	if want < recordings*5 {
		t.Fatalf("%d deliveries to the healthy subscriber, want at least %d", want, recordings*5)
	}
	begin := time.Now()
	waitFor(t, "every event at the healthy subscriber", 60*time.Second, func() bool { return len(healthy.snapshot()) >= want })
	t.Logf("the healthy subscriber got its %d events %s after the last was stored", want, time.Since(begin).Round(time.Millisecond))

	// A state callback to a third host while the hanging one holds its
	// budget.
	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:               callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingStateCallbackURI: callbackURL + "/cb",
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the state callback", 30*time.Second, func() bool { return len(callbacks.snapshot()) == 1 })

	seen := map[string]int{}
	for _, h := range healthy.snapshot() {
		seen[h.Events[0]["id"].(string)]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s reached the healthy subscriber %d times", id, n)
		}
	}
	got, maxIn := hanging.counts()
	if maxIn > webhook.DefaultPerTargetConcurrency || got > webhook.DefaultPerTargetConcurrency {
		t.Errorf("the hanging subscriber got %d notifications, %d at once; its budget is %d", got, maxIn, webhook.DefaultPerTargetConcurrency)
	}
	if got == 0 {
		t.Error("the hanging subscriber was never tried")
	}
}
