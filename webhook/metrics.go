package webhook

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
)

// DeliveryCounter is an Outbox that counts its deliveries by status. When
// the Outbox is one, the worker's metrics include the deliveries pending
// and dead-lettered now, read at each scrape.
type DeliveryCounter interface {
	CountDeliveries(ctx context.Context) (map[callrec.DeliveryStatus]int64, error)
}

// metrics are the worker's Prometheus collectors. They count whether or not
// Config.Registerer is set; only registered ones are scraped.
type metrics struct {
	delivered prometheus.Counter
	failed    prometheus.Counter
	dead      *prometheus.CounterVec
	latency   prometheus.Histogram
	batch     prometheus.Histogram
}

// countTimeout bounds the outbox count made at each scrape.
const countTimeout = 2 * time.Second

func newMetrics(reg prometheus.Registerer, outbox callrec.Outbox) *metrics {
	m := &metrics{
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "webhook", Name: "delivered_total",
			Help: "Deliveries (state callbacks and subscription events) that the endpoint accepted with a 2xx.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "webhook", Name: "attempts_failed_total",
			Help: "Delivery attempts that failed and will be retried.",
		}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "webhook", Name: "dead_lettered_total",
			Help: "Deliveries given up (dead-lettered), by reason (DeliveryRejected, MaxDeliveryAttemptsExceeded, TimeToLiveExceeded, InvalidDelivery).",
		}, []string{"reason"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "callrec", Subsystem: "webhook", Name: "delivery_seconds",
			Help:    "Time from an event to its accepted delivery, retries included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 10, 60, 600, 3600, 6 * 3600, 24 * 3600},
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "callrec", Subsystem: "webhook", Name: "outcomes_per_write",
			Help:    "Attempt outcomes stored per outbox write (one transaction each); the count is the number of writes.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.delivered, m.failed, m.dead, m.latency, m.batch)
	if c, ok := outbox.(DeliveryCounter); ok {
		reg.MustRegister(&outboxCollector{c: c, desc: prometheus.NewDesc("callrec_webhook_outbox_deliveries",
			"Deliveries in the outbox now, by status (pending, dead).", []string{"status"}, nil)})
	}
	return m
}

// attempted counts an attempt's outcome; now is when it was decided.
func (m *metrics) attempted(d callrec.Delivery, a callrec.Attempt, now time.Time) {
	switch a.Status {
	case callrec.DeliveryDelivered:
		m.delivered.Inc()
		born := d.CreatedAt
		if born.IsZero() {
			born = d.Event.Time
		}
		if !born.IsZero() {
			m.latency.Observe(max(0, now.Sub(born).Seconds()))
		}
	case callrec.DeliveryDead:
		reason, _, _ := strings.Cut(a.Error, ":")
		m.dead.WithLabelValues(reason).Inc()
	default:
		m.failed.Inc()
	}
}

// outboxCollector reads the outbox's counts at each scrape.
type outboxCollector struct {
	c    DeliveryCounter
	desc *prometheus.Desc
}

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	defer cancel()
	counts, err := o.c.CountDeliveries(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(o.desc, err)
		return
	}
	for _, s := range []callrec.DeliveryStatus{callrec.DeliveryPending, callrec.DeliveryDead} {
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
