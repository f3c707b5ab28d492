package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/service"
	"github.com/callrec/callrec/webhook"
)

// TestSubscriptionValidation covers the handshake outcomes: an endpoint that
// echoes the code is validated; one that answers 200 but GETs the
// validationUrl instead is validated by that GET; one that refuses waits
// for a GET, receives nothing, says why in the list, and fails at the
// deadline; a CloudEvents endpoint passes the OPTIONS handshake and
// receives structured CloudEvents.
func TestSubscriptionValidation(t *testing.T) {
	s := testserver.Start(t, testserver.FastWebhooks(), testserver.WithConfig(func(c *app.Config) {
		c.ValidationDeadline = 500 * time.Millisecond
		c.ValidationTimeout = 2 * time.Second
	}))
	c := sdkClient(t, s)
	ctx := context.Background()

	echo := newEventReceiver("")
	echoURL, _ := serveOn(t, "127.0.0.1:0", echo)
	// manual answers 200 without a validationResponse; the test then GETs
	// the validationUrl it was sent, as the endpoint's owner would.
	validationURLs := make(chan string, 1)
	manualURL, _ := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []struct {
			Data struct {
				ValidationURL string `json:"validationUrl"`
			} `json:"data"`
		}
		json.NewDecoder(r.Body).Decode(&evs)
		if r.Header.Get(webhook.HeaderEventGridEventType) == "SubscriptionValidation" {
			validationURLs <- evs[0].Data.ValidationURL
		}
	}))
	refuser, _ := serveOn(t, "127.0.0.1:0", http.NotFoundHandler())
	ce := newEventReceiver("")
	ceURL, _ := serveOn(t, "127.0.0.1:0", ce)

	sub := func(name, url string, schema callrec.Schema) *callrec.Subscription {
		t.Helper()
		got, err := c.Events().Subscribe(ctx, callrec.Subscription{Name: name, URL: url, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := sub("echo", echoURL, callrec.SchemaEventGrid); got.State != callrec.SubscriptionValidated {
		t.Errorf("echoing endpoint: %+v", got)
	}
	if got := sub("manual", manualURL, callrec.SchemaEventGrid); got.State != callrec.SubscriptionAwaitingValidation {
		t.Errorf("manual endpoint before its GET: %+v", got)
	}
	resp, err := http.Get(<-validationURLs)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET validationUrl: HTTP %d", resp.StatusCode)
	}
	if resp, err := http.Get(s.URL + "/eventSubscriptions/refused/validate?token=guess"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET validationUrl with a guessed token: %v %v, want 404", resp, err)
	} else {
		resp.Body.Close()
	}
	if got, err := c.Events().Subscription(ctx, "manual"); err != nil || got.State != callrec.SubscriptionValidated {
		t.Fatalf("manual endpoint after its GET: %+v %v", got, err)
	}
	refused := sub("refused", refuser, callrec.SchemaEventGrid)
	if refused.State != callrec.SubscriptionAwaitingValidation || !strings.Contains(refused.Reason, "HTTP 404") {
		t.Errorf("refusing endpoint: %+v", refused)
	}
	if got := sub("cloud", ceURL, callrec.SchemaCloudEvents); got.State != callrec.SubscriptionValidated {
		t.Errorf("CloudEvents endpoint: %+v", got)
	}

	recordAndStop(t, c)
	waitFor(t, "deliveries", 10*time.Second, func() bool {
		return len(echo.snapshot()) > 0 && len(ce.snapshot()) > 0
	})
	if n := len(deliveriesTo(t, s, "refused")); n != 0 {
		t.Errorf("unvalidated subscription got %d deliveries", n)
	}
	if n := len(deliveriesTo(t, s, "manual")); n == 0 {
		t.Error("subscription validated by its validationUrl got no deliveries")
	}
	waitFor(t, "CloudEvents file event", 10*time.Second, func() bool {
		for _, h := range ce.snapshot() {
			if h.Events[0]["type"] == callrec.EventRecordingFileStatusUpdated {
				return true
			}
		}
		return false
	})
	for _, h := range ce.snapshot() {
		if ct := h.Header.Get("Content-Type"); ct != webhook.ContentTypeCloudEvents {
			t.Errorf("CloudEvents delivery Content-Type %q", ct)
		}
		if h.Events[0]["specversion"] != "1.0" {
			t.Errorf("CloudEvents delivery %s has no specversion 1.0", h.Body)
		}
	}

	time.Sleep(600 * time.Millisecond) // past the manual validation deadline
	list, err := c.Events().Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]*callrec.Subscription{}
	for _, s := range list {
		states[s.Name] = s
		if s.Secret != "" {
			t.Errorf("list shows the secret of %s", s.Name)
		}
	}
	if r := states["refused"]; r == nil || r.State != callrec.SubscriptionFailed || !strings.Contains(r.Reason, "deadline passed") {
		t.Errorf("refused subscription after its deadline: %+v", r)
	}
	for _, n := range []string{"echo", "manual", "cloud"} {
		if states[n] == nil || states[n].State != callrec.SubscriptionValidated {
			t.Errorf("subscription %s: %+v", n, states[n])
		}
	}

	if err := c.Events().Unsubscribe(ctx, "echo"); err != nil {
		t.Fatal(err)
	}
	var re *callautomation.ResponseError
	if _, err := c.Events().Subscription(ctx, "echo"); !errors.As(err, &re) || re.StatusCode != 404 {
		t.Errorf("get after unsubscribe: %v, want 404", err)
	}
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{Name: "x", URL: echoURL}); !errors.As(err, &re) || re.StatusCode != 400 {
		t.Errorf("a 1-letter name: %v, want 400", err)
	}
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{Name: "bad-url", URL: "ftp://x"}); !errors.As(err, &re) || re.StatusCode != 400 {
		t.Errorf("an ftp URL: %v, want 400", err)
	}
}

// TestDeadLetterReplay: a 400 sends the delivery straight to the dead
// letters after one attempt; once the receiver is fixed, a replay delivers
// the same event id.
func TestDeadLetterReplay(t *testing.T) {
	s := testserver.Start(t, testserver.FastWebhooks())
	c := sdkClient(t, s)
	ctx := context.Background()
	rc := newEventReceiver("")
	url, _ := serveOn(t, "127.0.0.1:0", rc)
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{
		Name: "picky", URL: url, Types: []string{callrec.EventRecordingFileStatusUpdated},
	}); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.fail, rc.failStatus = 1, http.StatusBadRequest
	rc.mu.Unlock()
	recordAndStop(t, c)

	var dead []callrec.Delivery
	waitFor(t, "a dead letter", 10*time.Second, func() bool {
		var err error
		dead, err = c.Events().DeadLetters(ctx, 10)
		return err == nil && len(dead) == 1
	})
	d := dead[0]
	if d.Attempts != 1 || d.LastStatus != 400 || !strings.HasPrefix(d.LastError, webhook.DeadRejected) || d.Target.Subscription != "picky" {
		t.Fatalf("dead letter %+v, want 1 attempt, 400, DeliveryRejected", d)
	}
	if err := c.Events().Replay(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replayed delivery", 10*time.Second, func() bool { return len(rc.snapshot()) == 2 })
	hits := rc.snapshot()
	if hits[0].Events[0]["id"] != d.Event.ID || hits[1].Events[0]["id"] != d.Event.ID || hits[1].Status != 200 {
		t.Fatalf("replay sent %v (status %d), want event %s again", hits[1].Events[0]["id"], hits[1].Status, d.Event.ID)
	}
	if dead, err := c.Events().DeadLetters(ctx, 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters after replay: %v %v", dead, err)
	}
	var re *callautomation.ResponseError
	if err := c.Events().Replay(ctx, d.ID); !errors.As(err, &re) || re.StatusCode != 404 {
		t.Errorf("replaying a delivered event: %v, want 404", err)
	}
}

// TestLifecycleEventsAndTail follows the event stream while a call has a
// participant join and leave and a recording start, pause, resume and stop,
// and checks that a subscription filtered on the call's subject receives
// the same lifecycle events.
func TestLifecycleEventsAndTail(t *testing.T) {
	s := testserver.Start(t, testserver.FastWebhooks())
	c := sdkClient(t, s)
	ctx := context.Background()
	rc := newEventReceiver("")
	url, _ := serveOn(t, "127.0.0.1:0", rc)
	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{
		Name: "lifecycle", URL: url, SubjectPrefix: "/recording/call/" + call.ServerCallID + "/",
		Types: []string{service.EventRecordingStarted, service.EventRecordingPaused, service.EventRecordingResumed,
			service.EventRecordingStopped},
	}); err != nil {
		t.Fatal(err)
	}

	tailCtx, stopTail := context.WithCancel(ctx)
	var mu sync.Mutex
	var tailed []string
	tailDone := make(chan error, 1)
	go func() {
		tailDone <- c.Events().Tail(tailCtx, -1, func(e callautomation.StreamedEvent) error {
			mu.Lock()
			tailed = append(tailed, e.Event.Type)
			mu.Unlock()
			return nil
		})
	}()
	time.Sleep(300 * time.Millisecond) // the stream starts "from now on"

	if err := s.App.Service.JoinParticipant(ctx, call.ServerCallID, "8:acs:alice"); err != nil {
		t.Fatal(err)
	}
	rec := c.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []func(context.Context, string) error{rec.Pause, rec.Resume, rec.Stop} {
		if err := op(ctx, st.RecordingID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.App.Service.LeaveParticipant(ctx, call.ServerCallID, "8:acs:alice"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		service.EventCallParticipantJoined,
		callrec.EventRecordingStateChanged, service.EventRecordingStarted,
		callrec.EventRecordingStateChanged, service.EventRecordingPaused,
		callrec.EventRecordingStateChanged, service.EventRecordingResumed,
		callrec.EventRecordingStateChanged, service.EventRecordingStopped, callrec.EventRecordingFileStatusUpdated,
		service.EventCallParticipantLeft,
	}
	waitFor(t, "the tailed events", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(tailed) >= len(want)
	})
	stopTail()
	if err := <-tailDone; err != nil {
		t.Fatalf("tail: %v", err)
	}
	mu.Lock()
	if strings.Join(tailed, " ") != strings.Join(want, " ") {
		t.Errorf("tailed\n%v\nwant\n%v", tailed, want)
	}
	mu.Unlock()

	waitFor(t, "4 lifecycle deliveries", 10*time.Second, func() bool { return len(rc.snapshot()) >= 4 })
	time.Sleep(200 * time.Millisecond)
	var got []string
	for _, h := range rc.snapshot() {
		ev := h.Events[0]
		got = append(got, ev["eventType"].(string))
		data := ev["data"].(map[string]any)
		if data["recordingId"] != st.RecordingID || data["startDateTime"] == nil {
			t.Errorf("lifecycle data %v", data)
		}
	}
	gotTypes := strings.Join(got, " ")
	for _, typ := range want[1:9] {
		if typ != callrec.EventRecordingStateChanged && !strings.Contains(gotTypes, typ) {
			t.Errorf("subscription did not receive %s (got %s)", typ, gotTypes)
		}
	}
	if len(got) != 4 {
		t.Errorf("subscription received %d events, want 4 (types filter): %v", len(got), got)
	}
}
