package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
)

type received struct {
	mu     sync.Mutex
	events []map[string]any
	fails  int // answer 503 to this many requests first
}

func (rc *received) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fails > 0 {
		rc.fails--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var arr []map[string]any
	if err := json.Unmarshal(b, &arr); err != nil || len(arr) != 1 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.events = append(rc.events, arr[0])
}

func (rc *received) states() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, e := range rc.events {
		out = append(out, e["data"].(map[string]any)["state"].(string))
	}
	return out
}

// TestStateCallbacks checks that each state change reaches
// recordingStateCallbackUri as a CloudEvents array, through retries.
func TestStateCallbacks(t *testing.T) {
	s := testserver.Start(t, testserver.FastWebhooks())
	rc := &received{fails: 2}
	recv := httptest.NewServer(rc)
	defer recv.Close()

	client, err := callautomation.NewCallAutomationClient(s.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := client.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:               callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingStateCallbackURI: recv.URL + "/cb?tenant=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []func(context.Context, string) error{rec.Pause, rec.Resume, rec.Stop} {
		if err := op(ctx, st.RecordingID); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"active", "inactive", "active", "inactive"}
	deadline := time.Now().Add(10 * time.Second)
	for len(rc.states()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := rc.states()
	if len(got) != len(want) {
		t.Fatalf("callbacks: got states %v, want %v (order not promised, count is)", got, want)
	}
	count := map[string]int{}
	for _, s := range got {
		count[s]++
	}
	if count["active"] != 2 || count["inactive"] != 2 {
		t.Errorf("states %v", got)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ids := map[string]bool{}
	for _, e := range rc.events {
		if e["type"] != "Microsoft.Communication.RecordingStateChanged" || e["specversion"] != "1.0" {
			t.Errorf("envelope %v", e)
		}
		d := e["data"].(map[string]any)
		if d["recordingId"] != st.RecordingID || d["serverCallId"] != call.ServerCallID {
			t.Errorf("data %v", d)
		}
		if _, err := time.Parse(time.RFC3339, d["startDateTime"].(string)); err != nil {
			t.Errorf("startDateTime %v: %v", d["startDateTime"], err)
		}
		ids[e["id"].(string)] = true
	}
	if len(ids) != len(want) {
		t.Errorf("event ids not distinct: %v", ids)
	}
}
