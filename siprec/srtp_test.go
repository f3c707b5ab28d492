package siprec_test

import (
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/srctest"
	"github.com/callrec/callrec/siprec"
)

// TestSDESSRTP: an SRC (Go, pion/srtp) offers two RTP/SAVP streams keyed
// by SDES, one AES_CM_128_HMAC_SHA1_80 and one _32, and sends a tone on
// each; the recording has each tone on its participant's channel.
func TestSDESSRTP(t *testing.T) {
	n := startNode(t)
	ctx := t.Context()
	src, err := srctest.New(n.srv.App.SIP.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const cs = "srtp-session"
	a := &srctest.Stream{Label: "1", AOR: "tel:+14255550111", Suite: "AES_CM_128_HMAC_SHA1_80"}
	b := &srctest.Stream{Label: "2", AOR: "sip:agent@pbx.example", Suite: "AES_CM_128_HMAC_SHA1_32"}
	if code, err := src.Invite(ctx, cs, a, b); err != nil || code != 200 {
		t.Fatalf("INVITE: %d %v", code, err)
	}
	if src.Ports[1] != src.Ports[0]+2 {
		t.Errorf("answered ports %v, want P and P+2", src.Ports)
	}
	if _, err := src.Tone(ctx, []float64{toneA, toneB}, toneAmp, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the reorder window releases the last packets
	if err := src.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	callID := siprec.ServerCallID(cs, 0)
	n.call(t, callID, callrec.CallEnded)
	recs := n.recordings(t, callID)
	if len(recs) != 1 {
		t.Fatalf("recordings %+v", recs)
	}
	audios, metas := n.download(t, recs[0].RecordingID)
	x, md := audios[0], metas[0]
	chA, chB := channelOf(md, "4:+14255550111"), channelOf(md, "sip:agent@pbx.example")
	if chA != 0 || chB != 1 {
		t.Fatalf("channels %d %d: %+v", chA, chB, md.Participants)
	}
	for _, c := range []struct {
		ch []int16
		f  float64
	}{{x[chA], toneA}, {x[chB], toneB}} {
		s := spans(c.ch)
		if len(s) != 1 || s[0][1]-s[0][0] < 1900*16 {
			t.Fatalf("%v Hz: tone spans %v, want one of 2 s", c.f, s)
		}
		checkTone(t, "SRTP tone", c.ch, s[0][0]+1600, s[0][1]-1600, c.f, toneAmp)
	}
}
