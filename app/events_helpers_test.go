package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/webhook"
)

// hit is one notification an eventReceiver got.
type hit struct {
	Status int
	Header http.Header
	Body   []byte
	Events []map[string]any
}

// eventReceiver is an Event Grid webhook endpoint on 127.0.0.1: it answers
// the validation handshake, checks signatures when it has a secret, fails
// the first `fail` notifications with failStatus, and keeps every
// notification it saw.
type eventReceiver struct {
	secret string

	mu         sync.Mutex
	fail       int
	failStatus int
	hits       []hit
	validated  int
	changed    chan struct{}
}

func newEventReceiver(secret string) *eventReceiver {
	return &eventReceiver{secret: secret, changed: make(chan struct{}, 1)}
}

func (rc *eventReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method == http.MethodOptions {
		w.Header().Set(webhook.HeaderWebHookAllowedOrigin, "*")
		return
	}
	var events []map[string]any
	if err := json.Unmarshal(body, &events); err != nil {
		var one map[string]any
		if err := json.Unmarshal(body, &one); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		events = []map[string]any{one}
	}
	if r.Header.Get(webhook.HeaderEventGridEventType) == "SubscriptionValidation" {
		code := events[0]["data"].(map[string]any)["validationCode"]
		rc.mu.Lock()
		rc.validated++
		rc.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"validationResponse": code})
		return
	}
	if rc.secret != "" {
		if err := webhook.VerifySignature(r.Header.Get(webhook.SignatureHeader), rc.secret, body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
	}
	rc.mu.Lock()
	status := http.StatusOK
	if rc.fail > 0 {
		rc.fail--
		status = rc.failStatus
	}
	rc.hits = append(rc.hits, hit{Status: status, Header: r.Header.Clone(), Body: body, Events: events})
	rc.mu.Unlock()
	select {
	case rc.changed <- struct{}{}:
	default:
	}
	w.WriteHeader(status)
}

func (rc *eventReceiver) snapshot() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// serveOn serves rc on addr ("127.0.0.1:0" for any port) until the
// returned stop is called.
func serveOn(t *testing.T, addr string, h http.Handler) (url string, stop func()) {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // a just-closed port can take a moment to free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			<-done
		})
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

func sdkClient(t *testing.T, s *testserver.Server) *callautomation.Client {
	t.Helper()
	c, err := callautomation.NewCallAutomationClient(s.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond every 10 ms until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deliveriesTo lists the outbox rows of one subscription.
func deliveriesTo(t *testing.T, s *testserver.Server, subscription string) []callrec.Delivery {
	t.Helper()
	all, err := s.App.DB.Deliveries(context.Background(), "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []callrec.Delivery
	for _, d := range all {
		if d.Target.Subscription == subscription {
			out = append(out, d)
		}
	}
	return out
}

// recordAndStop starts a recording of a fresh call and stops it, and
// returns the recording id.
func recordAndStop(t *testing.T, c *callautomation.Client) string {
	t.Helper()
	ctx := context.Background()
	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CallRecording().Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	return st.RecordingID
}
