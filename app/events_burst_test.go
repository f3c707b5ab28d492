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
