package webhook

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/metricstest"
	"github.com/callrec/callrec/sqlite"
)

// TestMetricsOnSQLiteOutbox: deliveries through the real SQLite outbox move
// the worker's metrics: one per delivered event (with its latency), one
// failed attempt per retried callback, one dead letter per rejected event
// with its reason, and the outbox gauges read from the database.
func TestMetricsOnSQLiteOutbox(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "callrec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	flaky := newReceiver(t, func(n int, _ *http.Request) reply {
		if n%2 == 1 {
			return reply{status: http.StatusServiceUnavailable}
		}
		return reply{status: http.StatusOK}
	})
	rejecter := newReceiver(t, func(int, *http.Request) reply { return reply{status: http.StatusBadRequest} })
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "call-1", State: callrec.CallActive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	const events = 3
	for i := range events {
		ev := testEvent(700 + i)
		ev.Time = time.Now().UTC()
		out := callrec.Outgoing{Event: ev, Targets: []callrec.Target{
			{URL: flaky.srv.URL, Schema: callrec.SchemaCloudEventsArray},
			{URL: rejecter.srv.URL, Schema: callrec.SchemaCloudEvents, Subscription: "strict"},
		}}
		if err := db.JoinParticipant(ctx, "call-1", fmt.Sprintf("8:acs:p%d", i), time.Now(), out); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	// One attempt at a time to the flaky endpoint: its answers alternate.
	startWorker(t, Config{Outbox: db, Policy: fastPolicy(), PerTargetConcurrency: 1, Registerer: reg})
	waitFor(t, "every delivery final", func() bool {
		return metricstest.Value(t, reg, "callrec_webhook_outbox_deliveries", "status", "pending") == 0
	})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"callrec_webhook_delivered_total", nil, events},
		{"callrec_webhook_delivery_seconds", nil, events},
		{"callrec_webhook_attempts_failed_total", nil, events},
		{"callrec_webhook_dead_lettered_total", []string{"reason", DeadRejected}, events},
		{"callrec_webhook_outbox_deliveries", []string{"status", "dead"}, events},
	} {
		if got := metricstest.Value(t, reg, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
