package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// received is one request a test receiver got.
type received struct {
	at     time.Time
	header http.Header
	body   []byte
}

// reply is what a receiver answers to its n-th request (from 1).
type reply struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration // wait before answering (ends early if the client goes away)
}

// receiver is a real HTTP endpoint on 127.0.0.1 that records what it gets.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	got      []received
	inflight int
	maxIn    int
	answer   func(n int, r *http.Request) reply
}

func newReceiver(t *testing.T, answer func(n int, r *http.Request) reply) *receiver {
	t.Helper()
	rc := &receiver{t: t, answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, received{at: time.Now(), header: r.Header.Clone(), body: body})
	n := len(rc.got)
	rc.inflight++
	rc.maxIn = max(rc.maxIn, rc.inflight)
	rc.mu.Unlock()
	defer func() {
		rc.mu.Lock()
		rc.inflight--
		rc.mu.Unlock()
	}()

	r.Body = io.NopCloser(bytes.NewReader(body)) // answer may read it again
	rp := rc.answer(n, r)
	if rp.delay > 0 {
		select {
		case <-time.After(rp.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	if rp.status == 0 {
		rp.status = http.StatusOK
	}
	w.WriteHeader(rp.status)
	io.WriteString(w, rp.body)
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) maxInflight() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.maxIn
}

// eventID reads the id out of a delivered body of any schema.
func eventID(t *testing.T, body []byte) string {
	t.Helper()
	id, err := parseEventID(body)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// parseEventID reads the id out of a body: an array of one event, or one
// event. Safe to call from handler goroutines.
func parseEventID(body []byte) (string, error) {
	var one struct {
		ID string `json:"id"`
	}
	if len(body) > 0 && body[0] == '[' {
		var arr []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &arr); err != nil || len(arr) != 1 {
			return "", fmt.Errorf("body is not an array of one event: %v: %s", err, body)
		}
		return arr[0].ID, nil
	}
	if err := json.Unmarshal(body, &one); err != nil {
		return "", fmt.Errorf("body is not an event: %v: %s", err, body)
	}
	return one.ID, nil
}

// testEvent is a RecordingStateChanged event with a distinct id.
func testEvent(i int) callrec.Event {
	rec := fmt.Sprintf("rec-%d", i)
	return callrec.Event{
		ID:      fmt.Sprintf("9ec1f3a0-0000-4000-8000-%012d", i),
		Type:    callrec.EventRecordingStateChanged,
		Source:  "calling/recordings/" + rec,
		Subject: "calling/recordings/" + rec,
		Time:    time.Date(2026, 11, 26, 10, 0, 1, 123000000, time.UTC),
		Data:    json.RawMessage(fmt.Sprintf(`{"recordingId":%q,"state":"active","startDateTime":"2026-11-26T10:00:00Z"}`, rec)),
	}
}

// fastPolicy retries quickly and without jitter.
func fastPolicy(steps ...time.Duration) RetryPolicy {
	if len(steps) == 0 {
		steps = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
	}
	return RetryPolicy{Schedule: steps, Then: 40 * time.Millisecond, Jitter: -1, AttemptTimeout: 2 * time.Second}
}

// startWorker runs a worker until the test ends (or stop is called) and
// returns it with a stop function that waits for Run to return.
func startWorker(t *testing.T, cfg Config) (*Worker, func()) {
	t.Helper()
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return w, stop
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
