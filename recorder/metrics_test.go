package recorder_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/metricstest"
	"github.com/callrec/callrec/recorder"
)

// TestMetrics: a recording moves the engine's metrics: active while it
// records, started and stopped by reason once each, the bytes written equal
// to the stored file's sample data, one finalize observed.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := newRig(t, func(c *recorder.Config) { c.Registerer = reg })
	r.start("rec-1", callrec.RecordingSpec{Channel: callrec.ChannelUnmixed})
	r.play(2, voice{id: "a", freq: 440, amp: 7000, from: 0, to: 2})
	r.flush("rec-1")
	if v := metricstest.Value(t, reg, "callrec_recorder_recordings_active"); v != 1 {
		t.Errorf("active while recording: %v, want 1", v)
	}
	chunks := r.stop("rec-1", callrec.EndReasonCallEnded)
	a := r.audio(chunks[0].DocumentID)
	for name, want := range map[string]float64{
		"callrec_recorder_recordings_active":        0,
		"callrec_recorder_recordings_started_total": 1,
		"callrec_recorder_recordings_stopped_total": 1,
		"callrec_recorder_written_bytes_total":      float64(len(a.Channels) * len(a.Channels[0]) * 2),
		"callrec_recorder_finalize_seconds":         1, // the observation count
	} {
		if got := metricstest.Value(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := metricstest.Value(t, reg, "callrec_recorder_recordings_stopped_total", "reason", callrec.EndReasonCallEnded); got != 1 {
		t.Errorf("stopped with reason %s: %v, want 1", callrec.EndReasonCallEnded, got)
	}
	t.Logf("%d channels × %d samples written", len(a.Channels), len(a.Channels[0]))
}
