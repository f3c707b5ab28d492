package ingest_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/simulate"
)

// TestLossAndJitterKeepStreamContinuous: with 5% loss on the wire and up
// to 30 ms of jitter (which reorders packets), every participant's frame
// stream stays contiguous — no gap, no repeated time — and its tone is
// still detected. NACK recovers lost packets within the reorder window;
// what it does not recover is concealed.
func TestLossAndJitterKeepStreamContinuous(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	rec := subscribe(t, h.hub, callID)
	before := scrapeMetrics(t, h.node.MetricsURL)

	results := joinAll(t, h, callID, threeTones, 4*time.Second, 100*time.Millisecond, func(o *simulate.Options) {
		o.Loss = 0.05
		o.Jitter = 30 * time.Millisecond
	})
	dropped := 0
	for _, p := range threeTones {
		dropped += results[p.rawID].Dropped
		waitFor(t, 5*time.Second, p.rawID+" left", func() bool {
			k := rec.eventKinds(p.rawID)
			return len(k) > 0 && k[len(k)-1] == callrec.ParticipantLeft
		})
	}
	for _, p := range threeTones {
		start, pcm := rec.track(t, p.rawID) // fails on any gap or overlap
		checkTone(t, p.rawID, pcm, p.freq)
		res := results[p.rawID]
		// The stream covers the whole send time: it starts where sending
		// began (from when packet 0 was due to when it was written, jitter
		// and a loaded sender included) and lasts as long (within two
		// frames).
		begin, written := rec.positionOf(res.Started), rec.positionOf(res.FirstSent)
		if start < begin-2*callrec.FrameSamples || start > written+2*callrec.FrameSamples {
			t.Errorf("%s: frames start %d samples from when packet 0 was due (written %d samples after)", p.rawID, start-begin, written-begin)
		}
		// 200 frames were sent. Frames after them (while the leave is on
		// its way, on a loaded machine) must be silence.
		const sent = 200
		if got := len(pcm) / callrec.FrameSamples; got < sent-2 {
			t.Errorf("%s: %d frames for 4 s of sending, want at least %d", p.rawID, got, sent-2)
		}
		if tail := pcm[min(len(pcm), (sent+3)*callrec.FrameSamples):]; audio.RMS(tail) > 0.001 {
			t.Errorf("%s: %d samples after the end are not silent (RMS %.4f)", p.rawID, len(tail), audio.RMS(tail))
		}
		t.Logf("%s: sent %d, dropped %d; %d contiguous frames", p.rawID, res.Sent, res.Dropped, len(pcm)/callrec.FrameSamples)
	}
	after := scrapeMetrics(t, h.node.MetricsURL)
	lost := after["callrec_ingest_rtp_packets_lost_total"] - before["callrec_ingest_rtp_packets_lost_total"]
	concealed := after["callrec_ingest_concealed_frames_total"] - before["callrec_ingest_concealed_frames_total"]
	recovered := after["callrec_ingest_fec_recovered_frames_total"] - before["callrec_ingest_fec_recovered_frames_total"]
	t.Logf("dropped on the wire %d (retransmissions included); lost after NACK %v: %v rebuilt from FEC, %v concealed",
		dropped, lost, recovered, concealed)
	if dropped == 0 || lost >= float64(dropped) {
		t.Errorf("the wire dropped %d packets and ingest lost %v: NACK should recover most", dropped, lost)
	}
}

// scrapeMetrics reads base/metrics (the node's metrics listener) and sums
// samples per metric name (labels ignored).
func scrapeMetrics(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err == nil {
			out[name] += v
		}
	}
	return out
}
