package ingest

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the ingest Prometheus collectors. A nil *metrics records
// nothing (unit tests of the pipeline).
type metrics struct {
	packets      *prometheus.CounterVec
	audioPackets prometheus.Counter // packets{kind="audio"}, resolved once
	padPackets   prometheus.Counter // packets{kind="padding"}
	lostPackets  prometheus.Counter
	latePackets  prometheus.Counter
	concealments prometheus.Counter
	fecRecovered prometheus.Counter
	decodeErrs   prometheus.Counter
	corrections  *prometheus.CounterVec
	stretched    prometheus.Counter // corrections{how="stretched"}, resolved once
	squeezed     prometheus.Counter // corrections{how="squeezed"}
	cut          prometheus.Counter // corrections{how="cut"}
	jitterSecs   prometheus.Histogram
	decodeSecs   prometheus.Histogram
	participants *prometheus.GaugeVec
	sessions     prometheus.Counter
	rejected     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		packets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "rtp_packets_total",
			Help: "RTP audio packets received, by kind (audio, or padding-only).",
		}, []string{"kind"}),
		lostPackets: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "rtp_packets_lost_total",
			Help: "RTP audio packets never received before their reorder window closed.",
		}),
		latePackets: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "rtp_packets_late_total",
			Help: "RTP audio packets that arrived after their audio was due, and were dropped.",
		}),
		concealments: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "concealed_frames_total",
			Help: "Audio frames synthesised by packet loss concealment.",
		}),
		fecRecovered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "fec_recovered_frames_total",
			Help: "Lost audio frames rebuilt from the next packet's Opus in-band FEC.",
		}),
		decodeErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "decode_errors_total",
			Help: "Opus packets that failed to decode (concealed instead).",
		}),
		jitterSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "jitter_seconds",
			Help:    "RFC 3550 interarrival jitter estimate of audio streams, sampled per packet.",
			Buckets: []float64{.001, .002, .005, .01, .02, .03, .05, .1, .2},
		}),
		decodeSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "decode_seconds",
			Help:    "Time to decode one Opus packet to 16 kHz.",
			Buckets: []float64{5e-6, 1e-5, 2e-5, 4e-5, 8e-5, 1.6e-4, 3.2e-4, 1e-3},
		}),
		participants: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "participants",
			Help: "Participants currently publishing media, per call.",
		}, []string{"call"}),
		sessions: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "whip_sessions_total",
			Help: "WHIP sessions created.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "ingest", Name: "whip_rejected_total",
			Help: "WHIP requests rejected, by error code.",
		}, []string{"code"}),
	}
	m.corrections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "callrec", Subsystem: "ingest", Name: "timing_corrections_total",
		Help: "Timing corrections of received audio (clock drift, jitter): a packet stretched or squeezed by a few samples over its whole length (inaudible), or late samples cut at its start (may click).",
	}, []string{"how"})
	m.stretched = m.corrections.WithLabelValues("stretched")
	m.squeezed = m.corrections.WithLabelValues("squeezed")
	m.cut = m.corrections.WithLabelValues("cut")
	m.audioPackets = m.packets.WithLabelValues("audio")
	m.padPackets = m.packets.WithLabelValues("padding")
	if reg == nil {
		return m
	}
	reg.MustRegister(m.packets, m.lostPackets, m.latePackets, m.concealments, m.fecRecovered, m.decodeErrs,
		m.jitterSecs, m.decodeSecs, m.participants, m.sessions, m.rejected, m.corrections)
	return m
}

func (m *metrics) packet(padding bool) {
	if m == nil {
		return
	}
	if padding {
		m.padPackets.Inc()
		return
	}
	m.audioPackets.Inc()
}

func (m *metrics) lost(n int64) {
	if m != nil {
		m.lostPackets.Add(float64(n))
	}
}

func (m *metrics) late() {
	if m != nil {
		m.latePackets.Inc()
	}
}

func (m *metrics) concealed(n int) {
	if m != nil {
		m.concealments.Add(float64(n))
	}
}

func (m *metrics) recovered(n int) {
	if m != nil {
		m.fecRecovered.Add(float64(n))
	}
}

// corrected counts a timing correction of samples samples (> 0 inserted,
// < 0 removed); spread tells a stretch or squeeze over a packet from a cut.
func (m *metrics) corrected(samples int64, spread bool) {
	switch {
	case m == nil:
	case !spread:
		m.cut.Inc()
	case samples > 0:
		m.stretched.Inc()
	default:
		m.squeezed.Inc()
	}
}

func (m *metrics) decodeError() {
	if m != nil {
		m.decodeErrs.Inc()
	}
}

func (m *metrics) decoded(d time.Duration) {
	if m != nil {
		m.decodeSecs.Observe(d.Seconds())
	}
}

func (m *metrics) jitter(seconds float64) {
	if m != nil {
		m.jitterSecs.Observe(seconds)
	}
}

func (m *metrics) setParticipants(call string, n int) {
	if m == nil {
		return
	}
	if n == 0 {
		m.participants.DeleteLabelValues(call)
		return
	}
	m.participants.WithLabelValues(call).Set(float64(n))
}

func (m *metrics) sessionCreated() {
	if m != nil {
		m.sessions.Inc()
	}
}

func (m *metrics) rejectedRequest(code string) {
	if m != nil {
		m.rejected.WithLabelValues(code).Inc()
	}
}
