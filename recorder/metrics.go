package recorder

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the recording engine's Prometheus collectors. They count
// whether or not Config.Registerer is set; only registered ones are
// scraped.
type metrics struct {
	started  prometheus.Counter
	stopped  *prometheus.CounterVec
	bytes    prometheus.Counter
	finalize prometheus.Histogram

	uploaded, uploadFailures prometheus.Counter

	// lateSamples and droppedFrames are audio that reached the engine too
	// late to be placed: a gap in the file wherever either grows.
	lateSamples, droppedFrames prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, active func() float64) *metrics {
	m := &metrics{
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "recordings_started_total",
			Help: "Recordings started (or restarted after a process restart) by this process.",
		}),
		stopped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "recordings_stopped_total",
			Help: "Recordings stopped and finalized, by end reason (sessionEnded, callEnded, ...).",
		}, []string{"reason"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "written_bytes_total",
			Help: "Audio bytes written to recording files as 16-bit samples (WAV data, or MP3 encoder input; silence included).",
		}),
		finalize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "finalize_seconds",
			Help:    "Time from a stop request until every chunk of the recording is sealed and its upload tried once (the stop grace included).",
			Buckets: []float64{.1, .25, .5, 1, 2, 5, 10, 30, 60},
		}),
		uploaded: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "chunks_uploaded_total",
			Help: "Chunks (audio and metadata document) stored in the recordings store and removed from the spool.",
		}),
		uploadFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "upload_failures_total",
			Help: "Failed attempts to upload a chunk to the recordings store (each is retried with backoff).",
		}),
		lateSamples: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "late_samples_total",
			Help: "Samples that reached a recording after their position was committed (more than the lateness behind the call clock): each is missing from the file. Grows when the media path falls behind, as on a machine out of CPU.",
		}),
		droppedFrames: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callrec", Subsystem: "recorder", Name: "dropped_frames_total",
			Help: "Frames a recording dropped because its owner fell behind and its queue was full.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.started, m.stopped, m.bytes, m.finalize, m.uploaded, m.uploadFailures,
			m.lateSamples, m.droppedFrames,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: "callrec", Subsystem: "recorder", Name: "recordings_active",
				Help: "Recordings being recorded now (active or paused).",
			}, active))
	}
	return m
}

// wrote counts n bytes of sample data written.
func (m *metrics) wrote(n int64) { m.bytes.Add(float64(n)) }

// stoppedAfter counts a finalized stop that was asked for at since.
func (m *metrics) stoppedAfter(reason string, since time.Time) {
	m.stopped.WithLabelValues(reason).Inc()
	m.finalize.Observe(time.Since(since).Seconds())
}

// liveCount is the number of recordings being recorded.
func (e *Engine) liveCount() float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return float64(len(e.live))
}
