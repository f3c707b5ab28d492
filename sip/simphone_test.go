package sip_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/internal/metricstest"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/simulate/sipphone"
)

// TestSimulatedPhoneIsRecorded: the simulated phone of `callrec simulate`
// (simulate/sipphone), calling from a sip: URI in G.722, is recorded with
// its tone where and as loud as it sent it.
func TestSimulatedPhoneIsRecorded(t *testing.T) {
	n := startNode(t)
	callID := n.createCall(t)
	recID := n.startRecording(t, callID)
	res, err := sipphone.Join(t.Context(), sipphone.Options{
		DialOptions: sipphone.DialOptions{Server: n.sip.String(), CallID: callID, Participant: "sip:carol@example.com",
			Codec: sipphone.G722},
		Source: "tone:440", Duration: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 150 || res.Dropped != 0 {
		t.Fatalf("sent %d, dropped %d", res.Sent, res.Dropped)
	}
	// callrec's RTCP receiver reports reached the phone's RTCP port: at
	// least the last one, sent when the leg ended, covering every packet.
	if r := res.Reports; r.Count < 1 || r.TotalLost != 0 || r.LastSeq&0xffff != uint32(uint16(simulate.SeedOf("sip:carol@example.com")>>16)+149) {
		t.Errorf("receiver reports %+v", r)
	}
	n.waitParticipants(t, callID, nil)
	g := metricstest.Scrape(t, http.DefaultClient, n.srv.MetricsURL+"/metrics")
	for name, want := range map[string]float64{"callrec_sip_legs_total": 1, "callrec_sip_rtp_packets_total": 150,
		"callrec_sip_rtp_packets_lost_total": 0} {
		if got := metricstest.Value(t, g, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := metricstest.Value(t, g, "callrec_sip_rtcp_reports_sent_total"); got < 1 {
		t.Errorf("callrec_sip_rtcp_reports_sent_total = %v", got)
	}
	x, start, ids := n.recorded(t, recID)
	if !slices.Equal(ids, []string{"sip:carol@example.com"}) {
		t.Errorf("metadata participants %v", ids)
	}
	first, last := toneSpan(t, x, start, res.Result)
	checkTone(t, "tone", x, first+1600, last-1600, simulate.ToneAmplitude)
}

// toneSpan returns where a simulated phone's tone is in x, a recording
// chunk that started at start, and checks that it starts between when
// packet 0 was due and when it was written (±60 ms on a loaded machine)
// and lasts what was sent.
func toneSpan(t *testing.T, x []int16, start time.Time, res simulate.Result) (first, last int) {
	t.Helper()
	const tol = 60 * 16
	first, last = audio.FirstAbove(x, 0.1), lastAbove(x, 0.1)
	if first < at(start, res.Started)-tol || first > at(start, res.FirstSent)+tol {
		t.Errorf("tone starts at %d; packet 0 was due at %d, sent at %d", first, at(start, res.Started), at(start, res.FirstSent))
	}
	if d := last - first - int(res.Streamed().Seconds()*16000); d < -tol || d > tol+int(res.MaxLate.Seconds()*16000) {
		t.Errorf("tone lasts %d samples, %s sent (%+d)", last-first, res.Streamed(), d)
	}
	t.Logf("tone recorded at %d–%d (samples from the chunk's start), %s sent", first, last, res.Streamed())
	return first, last
}
