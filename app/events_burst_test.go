package app_test

import (
	"context"
	"os"
	"strconv"
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

// TestBurstOfFinishedRecordings finishes 1,000 recordings as fast as the
// node can and checks that a subscription receives exactly one
// RecordingFileStatusUpdated per recording: none lost, none duplicated,
// and no delivery left pending or dead. It logs how long the recordings
// took to finish and how long after the last one the last event arrived
// (the outbox's drain lag).
//
// The recordings are started and stopped by 16 clients at a time rather
// than all kept live together: each live recording is a real recorder that
// writes and syncs its file every second. Under -race, where a real
// recording costs several times more, the test finishes 200 recordings
// unless CALLREC_BURST_RECORDINGS says otherwise; without -race, 1,000.
func TestBurstOfFinishedRecordings(t *testing.T) {
	const clients = 16
	if testing.Short() {
		t.Skip("hundreds of real recordings")
	}
	recordings := 1000
	if raceEnabled {
		recordings = 200
	}
	if v := os.Getenv("CALLREC_BURST_RECORDINGS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("CALLREC_BURST_RECORDINGS=%q is not a positive count", v)
		}
		recordings = n
	}
	rc := newEventReceiver("")
	recvURL, _ := serveOn(t, "127.0.0.1:0", rc)
	s := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.WebhookPolicy = webhook.RetryPolicy{
			Schedule: []time.Duration{100 * time.Millisecond}, Then: 250 * time.Millisecond,
			Jitter: -1, AttemptTimeout: 2 * time.Second, MaxAttempts: 10000, TTL: time.Hour,
		}
		c.WebhookPollInterval = 100 * time.Millisecond
	}))
	c := sdkClient(t, s)
	ctx := context.Background()
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{
		Name: "burst", URL: recvURL, Types: []string{callrec.EventRecordingFileStatusUpdated},
	}); err != nil {
		t.Fatal(err)
	}

	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := make(chan string, recordings)
	var next atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(recordings) {
				st, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
					CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID},
				})
				if err != nil {
					t.Error(err)
					return
				}
				if err := c.CallRecording().Stop(ctx, st.RecordingID); err != nil {
					t.Error(err)
					return
				}
				want <- st.RecordingID
			}
		})
	}
	wg.Wait()
	close(want)
	if t.Failed() {
		t.FailNow()
	}
	finished := time.Now()
	got := map[string]int{}
	seen := 0
	waitFor(t, "every event", 60*time.Second, func() bool {
		hits := rc.snapshot()
		for _, h := range hits[seen:] {
			got[h.Events[0]["data"].(map[string]any)["recordingId"].(string)]++
		}
		seen = len(hits)
		return len(got) >= recordings
	})
	lag := time.Since(finished)

	for id := range want {
		if got[id] != 1 {
			t.Errorf("recording %s: %d events, want 1", id, got[id])
		}
	}
	if len(got) != recordings {
		t.Errorf("events for %d recordings, want %d", len(got), recordings)
	}
	waitFor(t, "the outbox to settle", 10*time.Second, func() bool {
		for _, d := range deliveriesTo(t, s, "burst") {
			if d.Status != callrec.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	t.Logf("%d recordings finished in %s (%.0f/s); the last event arrived %s after the last recording finished",
		recordings, finished.Sub(begin).Round(time.Millisecond), float64(recordings)/finished.Sub(begin).Seconds(),
		lag.Round(time.Millisecond))
}

// TestFiftyRecordingsAtOnce is the tester's SQLite saturation finding: 50
// calls each start a recording with a state callback at the same moment,
// all 50 record together, and all stop at the same moment, while a
// subscription takes every event. Afterwards every delivery is recorded
// delivered after exactly one attempt, no receiver saw an event id twice,
// and nothing is left pending. It logs how long the starts, the stops and
// the drain took.
func TestFiftyRecordingsAtOnce(t *testing.T) {
	const n = 50
	if testing.Short() {
		t.Skip("50 real recordings")
	}
	sub := newEventReceiver("")
	subURL, _ := serveOn(t, "127.0.0.1:0", sub)
	cb := newEventReceiver("")
	cbURL, _ := serveOn(t, "127.0.0.1:0", cb)
	s := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.WebhookPolicy = webhook.RetryPolicy{
			Schedule: []time.Duration{100 * time.Millisecond}, Then: 250 * time.Millisecond,
			Jitter: -1, MaxAttempts: 10000, TTL: time.Hour,
		}
		c.WebhookPollInterval = 100 * time.Millisecond
	}))
	c := sdkClient(t, s)
	ctx := t.Context()
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{Name: "all", URL: subURL}); err != nil {
		t.Fatal(err)
	}
	calls := make([]string, n)
	for i := range calls {
		call, err := c.Calls().Create(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		calls[i] = call.ServerCallID
	}

	all := func(what string, f func(i int) error) time.Duration {
		t.Helper()
		begin := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := f(i); err != nil {
					t.Errorf("%s %d: %v", what, i, err)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		return time.Since(begin)
	}
	recs := make([]string, n)
	started := all("start", func(i int) error {
		st, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
			CallLocator:               callautomation.ServerCallLocator{ID: calls[i]},
			RecordingStateCallbackURI: cbURL + "/calls/" + calls[i],
		})
		if err == nil {
			recs[i] = st.RecordingID
		}
		return err
	})
	time.Sleep(2 * time.Second) // all 50 recorders write and sync together
	stopped := all("stop", func(i int) error { return c.CallRecording().Stop(ctx, recs[i]) })
	finished := time.Now()

	waitFor(t, "every delivery recorded", 120*time.Second, func() bool {
		ds, err := s.App.DB.Deliveries(ctx, callrec.DeliveryPending, 1)
		if err != nil {
			t.Fatal(err)
		}
		return len(ds) == 0
	})
	drained := time.Since(finished)

	ds, err := s.App.DB.Deliveries(ctx, "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{} // deliveries per receiver
	for _, d := range ds {
		if d.Status != callrec.DeliveryDelivered || d.Attempts != 1 {
			t.Errorf("delivery %d (%s to %s): %s after %d attempts, last error %q", d.ID, d.Event.Type, d.Target.URL,
				d.Status, d.Attempts, d.LastError)
		}
		want[d.Target.Subscription]++
	}
	if want[""] < 2*n || want["all"] < 4*n {
		t.Errorf("deliveries: %d callbacks, %d to the subscription; want at least %d and %d", want[""], want["all"], 2*n, 4*n)
	}
	for name, rc := range map[string]*eventReceiver{"": cb, "all": sub} {
		seen := map[string]int{}
		for _, h := range rc.snapshot() {
			seen[h.Events[0]["id"].(string)]++
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("receiver %q got event %s %d times", name, id, k)
			}
		}
		if len(seen) != want[name] {
			t.Errorf("receiver %q got %d events, the outbox delivered %d", name, len(seen), want[name])
		}
	}
	t.Logf("%d recordings: started together in %s, stopped together in %s; %d deliveries (%d callbacks), all delivered once, the last recorded %s after the stops",
		n, started.Round(time.Millisecond), stopped.Round(time.Millisecond), len(ds), want[""], drained.Round(time.Millisecond))
}
