package webhook

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/metricstest"
	"github.com/callrec/callrec/sqlite"
)

// Outcomes of attempts that finish together are stored together: with 32
// attempts in flight at a time on the real SQLite outbox, 300 deliveries
// take fewer writes than deliveries, and each is recorded once, delivered.
func TestOutcomesAreStoredInBatches(t *testing.T) {
	const deliveries = 300
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "callrec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rc := newReceiver(t, func(int, *http.Request) reply { return reply{delay: 5 * time.Millisecond} })
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "call-1", State: callrec.CallActive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for i := range deliveries {
		ev := testEvent(2000 + i)
		ev.Time = time.Now().UTC()
		out := callrec.Outgoing{Event: ev, Targets: []callrec.Target{{URL: rc.srv.URL, Schema: callrec.SchemaCloudEventsArray}}}
		if err := db.JoinParticipant(ctx, "call-1", fmt.Sprintf("8:acs:p%d", i), ev.Time, out); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	begin := time.Now()
	startWorker(t, Config{Outbox: db, Policy: fastPolicy(), Concurrency: 32, PerTargetConcurrency: 32, Registerer: reg,
		Logger: slog.New(slog.DiscardHandler)})
	waitFor(t, "every outcome stored", func() bool {
		ds, err := db.Deliveries(ctx, callrec.DeliveryDelivered, deliveries+1)
		if err != nil {
			t.Fatal(err)
		}
		return len(ds) == deliveries
	})
	took := time.Since(begin)
	ds, _ := db.Deliveries(ctx, "", deliveries+1)
	for _, d := range ds {
		if d.Status != callrec.DeliveryDelivered || d.Attempts != 1 {
			t.Errorf("delivery %d: %s after %d attempts", d.ID, d.Status, d.Attempts)
		}
	}
	if n := len(rc.requests()); n != deliveries {
		t.Errorf("receiver got %d requests, want %d", n, deliveries)
	}
	writes := metricstest.Value(t, reg, "callrec_webhook_outcomes_per_write")
	if writes < 1 || writes >= deliveries {
		t.Errorf("%v writes stored %d outcomes; want fewer writes than outcomes", writes, deliveries)
	}
	t.Logf("%d outcomes stored in %v writes (%.1f a write); all delivered in %s", deliveries, writes,
		deliveries/writes, took.Round(time.Millisecond))
}
