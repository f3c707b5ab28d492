package sip_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/internal/metricstest"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/simulate/sipphone"
)

// TestOpusPhoneIsRecorded: a simulated phone offering Opus alone
// (opus/48000/2 on payload type 111) is answered with Opus and recorded at
// 16 kHz with its tone where, as long and as loud as it sent it; a 5 kHz
// tone, which no G.711 leg could carry, comes through as well.
func TestOpusPhoneIsRecorded(t *testing.T) {
	n := startNode(t)
	for _, tc := range []struct {
		source string
		hz     float64
	}{{"tone:440", 440}, {"tone:5000", 5000}} {
		t.Run(tc.source, func(t *testing.T) {
			callID := n.createCall(t)
			recID := n.startRecording(t, callID)
			res, err := sipphone.Join(t.Context(), sipphone.Options{
				DialOptions: sipphone.DialOptions{Server: n.sip.String(), CallID: callID, Participant: "sip:olga@example.com",
					Codec: sipphone.Opus},
				Source: tc.source, Duration: 3 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != 150 || res.Dropped != 0 {
				t.Fatalf("sent %d, dropped %d", res.Sent, res.Dropped)
			}
			if r := res.Reports; r.Count < 1 || r.TotalLost != 0 {
				t.Errorf("receiver reports %+v", r)
			}
			n.waitParticipants(t, callID, nil)
			x, start, _ := n.recorded(t, recID)
			first, last := toneSpan(t, x, start, res.Result)
			if tc.hz == 440 {
				checkTone(t, "tone", x, first+1600, last-1600, simulate.ToneAmplitude)
				return
			}
			seg := x[first+1600 : last-1600]
			f, ratio := audio.DetectTone(seg, 16000, []float64{5000, 3000, 440, 7000})
			level := audio.DBFS(audio.RMS(seg))
			if want := audio.DBFS(simulate.ToneAmplitude / 1.4142135623730951); f != 5000 || ratio < 100 || level < want-1.5 || level > want+1 {
				t.Errorf("%v Hz (×%.0f over the next), %.2f dBFS; want 5000 Hz at %.2f dBFS", f, ratio, level, want)
			}
		})
	}
	g := metricstest.Scrape(t, http.DefaultClient, n.srv.MetricsURL+"/metrics")
	if got := metricstest.Value(t, g, "callrec_sip_rtp_packets_lost_total"); got != 0 {
		t.Errorf("callrec_sip_rtp_packets_lost_total = %v", got)
	}
}

// TestOpusAnswer: the SDP answer to an offer of G.711, G.722 and Opus
// takes Opus, asks for its in-band FEC, and keeps telephone-event.
func TestOpusAnswer(t *testing.T) {
	n := startNode(t)
	callID := n.createCall(t)
	ph := newPhone(t, n.sip, "+14255550100")
	s, code, answer := ph.call(t.Context(), callID, "udp",
		[]byte(string(ph.offer("0 9 111 101", "sendrecv"))+"a=rtpmap:111 opus/48000/2\r\n"))
	if code != 200 {
		t.Fatalf("INVITE answered %d", code)
	}
	_, formats, dir := media(t, answer)
	if dir != "recvonly" || len(formats) != 2 || formats[0] != "111" || formats[1] != "101" ||
		!strings.Contains(string(answer), "a=rtpmap:111 opus/48000/2\r\n") || !strings.Contains(string(answer), "a=fmtp:111 useinbandfec=1\r\n") {
		t.Fatalf("answer %s", answer)
	}
	if err := s.Bye(t.Context()); err != nil {
		t.Fatalf("BYE: %v", err)
	}
}
