package sip

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestReceiverStats: RFC 3550's figures for a stream with losses, a
// sequence wrap and steady timing: the cumulative and interval loss, the
// extended highest sequence number, no jitter; then jitter when packets
// come unevenly.
func TestReceiverStats(t *testing.T) {
	var r receiverStats
	t0 := time.Unix(1000, 0)
	send := func(i int, late time.Duration) {
		r.packet(&rtp.Packet{Header: rtp.Header{SSRC: 7, SequenceNumber: uint16(65500 + i), Timestamp: uint32(i * 160)}},
			t0.Add(time.Duration(i)*20*time.Millisecond+late), rtpRate)
	}
	for i := range 100 {
		if i%10 != 3 { // 10 of 100 lost
			send(i, 0)
		}
	}
	b := r.block(lastSR{}, t0)
	if b.TotalLost != 10 || b.FractionLost != 25 || b.LastSequenceNumber != 65500+99 || b.Jitter != 0 {
		t.Fatalf("first report %+v", b)
	}
	for i := 100; i < 200; i++ { // no loss; every other packet 10 ms late
		send(i, time.Duration(i%2)*10*time.Millisecond)
	}
	b = r.block(lastSR{ssrc: 7, ntpMiddle: 0xabcd, at: t0}, t0.Add(500*time.Millisecond))
	if b.TotalLost != 10 || b.FractionLost != 0 || b.LastSequenceNumber != 1<<16+(65500+199-1<<16) {
		t.Fatalf("second report %+v", b)
	}
	// |D| alternates 80 RTP units: the estimate converges on 80.
	if b.Jitter < 70 || b.Jitter > 80 || b.LastSenderReport != 0xabcd || b.Delay != 65536/2 {
		t.Fatalf("second report %+v", b)
	}
}

// TestRTCPMuxIsAnswered: an offer with a=rtcp-mux gets it back (reports
// then share the RTP port); one without does not.
func TestRTCPMuxIsAnswered(t *testing.T) {
	offer := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	for _, mux := range []bool{false, true} {
		body := offer
		if mux {
			body += "a=rtcp-mux\r\n"
		}
		d, err := parseOffer([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		answer := string(answerSDP(d, netip.MustParseAddrPort("127.0.0.1:20000"), 1, 1))
		if d.mux != mux || strings.Contains(answer, "a=rtcp-mux") != mux {
			t.Errorf("offer with rtcp-mux %v: parsed %v, answer %q", mux, d.mux, answer)
		}
	}
	if !isRTCP([]byte{0x80, 201, 0, 1, 0, 0, 0, 1}) || isRTCP([]byte{0x80, 0, 0, 1, 0, 0, 0, 1}) {
		t.Error("isRTCP")
	}
}
