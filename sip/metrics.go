package sip

import "github.com/prometheus/client_golang/prometheus"

// metrics are the SIP endpoint's Prometheus collectors
// (docs/observability.md). A nil *metrics records nothing.
type metrics struct {
	legs      prometheus.Gauge
	legsTotal prometheus.Counter
	packets   prometheus.Counter
	lost      prometheus.Counter
	late      prometheus.Counter
	concealed prometheus.Counter
	reports   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "callrec", Subsystem: "sip", Name: name, Help: help})
	}
	m := &metrics{
		legs: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "callrec", Subsystem: "sip", Name: "legs",
			Help: "SIP legs (phones) in calls now."}),
		legsTotal: counter("legs_total", "SIP legs that joined a call."),
		packets:   counter("rtp_packets_total", "RTP packets taken from phones (their latched source, not on hold)."),
		lost:      counter("rtp_packets_lost_total", "RTP packets of phones never received before their reorder window closed."),
		late:      counter("rtp_packets_late_total", "RTP packets of phones that arrived after their audio was due, and were dropped."),
		concealed: counter("concealed_frames_total", "Frames of phones' audio synthesised by loss concealment."),
		reports:   counter("rtcp_reports_sent_total", "RTCP receiver reports sent to phones."),
	}
	reg.MustRegister(m.legs, m.legsTotal, m.packets, m.lost, m.late, m.concealed, m.reports)
	return m
}

func (m *metrics) joined() {
	if m != nil {
		m.legs.Inc()
		m.legsTotal.Inc()
	}
}

func (m *metrics) left() {
	if m != nil {
		m.legs.Dec()
	}
}

// legCounts is what a leg has added to the counters so far.
type legCounts struct{ packets, lost, late, concealed, reports int64 }

// add brings the counters up to a leg's totals now, from what it had
// added before (*had, updated).
func (m *metrics) add(had *legCounts, now legCounts) {
	if m == nil {
		return
	}
	for _, c := range []struct {
		ctr      prometheus.Counter
		had, now *int64
	}{{m.packets, &had.packets, &now.packets}, {m.lost, &had.lost, &now.lost}, {m.late, &had.late, &now.late},
		{m.concealed, &had.concealed, &now.concealed}, {m.reports, &had.reports, &now.reports}} {
		if d := *c.now - *c.had; d > 0 {
			c.ctr.Add(float64(d))
		}
	}
	*had = now
}
