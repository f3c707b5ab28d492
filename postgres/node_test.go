package postgres_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/internal/testserver"
)

// TestTwoNodesShareOneDatabase: two nodes on one PostgreSQL database
// (Config.Database, serve's --database). A call created and recorded
// through node A is read through node B, and the recording's state
// callbacks, written once to the shared outbox and drained by both nodes'
// webhook workers, arrive once each.
func TestTwoNodesShareOneDatabase(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	onPostgres := testserver.WithConfig(func(c *app.Config) { c.Database = dsn })
	a, b := testserver.Start(t, onPostgres), testserver.Start(t, onPostgres)

	var mu sync.Mutex
	received := map[string]int{} // event id -> times received
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []struct {
			ID string `json:"id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&evs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, e := range evs {
			received[e.ID]++
		}
		mu.Unlock()
	}))
	defer recv.Close()

	clientA, err := callautomation.NewCallAutomationClient(a.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	clientB, err := callautomation.NewCallAutomationClient(b.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	call, err := clientA.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := clientB.Calls().Get(ctx, call.ServerCallID); err != nil || got.ServerCallID != call.ServerCallID {
		t.Fatalf("the call through node B: %+v %v", got, err)
	}
	rec := clientA.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:               callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingStateCallbackURI: recv.URL + "/cb",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.App.DB.Recording(ctx, st.RecordingID); err != nil || got.Spec.ServerCallID != call.ServerCallID {
		t.Fatalf("the recording in node B's store: %+v %v", got, err)
	}
	if err := rec.Pause(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if err := rec.Resume(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if err := rec.Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}

	// Every delivery of the callback reaches delivered (drained by either
	// node), then each event has arrived exactly once.
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending, err := b.App.DB.Deliveries(ctx, callrec.DeliveryPending, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still pending", len(pending))
		}
		time.Sleep(50 * time.Millisecond)
	}
	delivered, err := a.App.DB.Deliveries(ctx, callrec.DeliveryDelivered, 100)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != 4 || len(received) != 4 { // active, inactive, active, inactive
		t.Fatalf("%d deliveries delivered, %d events received (%v); want the 4 state changes", len(delivered), len(received), received)
	}
	for id, n := range received {
		if n != 1 {
			t.Errorf("event %s received %d times", id, n)
		}
	}
	for _, d := range delivered {
		if d.Attempts != 1 {
			t.Errorf("delivery %d took %d attempts", d.ID, d.Attempts)
		}
	}
}
