package siprec_test

import (
	"strings"
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
	src := recordTwoTones(t, "srtp-session",
		&srctest.Stream{Label: "1", AOR: "tel:+14255550111", Suite: "AES_CM_128_HMAC_SHA1_80"},
		&srctest.Stream{Label: "2", AOR: "sip:agent@pbx.example", Suite: "AES_CM_128_HMAC_SHA1_32"})
	if src.Ports[1] != src.Ports[0]+2 {
		t.Errorf("answered ports %v, want P and P+2", src.Ports)
	}
}

// recordTwoTones runs a session of streams a and b (a tel: and a sip:
// participant) from a Go SRC: INVITE, 2 s of toneA on a and toneB on b,
// BYE; the call's one recording must have each tone on its participant's
// channel (a's on 0, b's on 1), about 2 s long, at its level. It returns
// the SRC, closed, for checks of the answer.
func recordTwoTones(t *testing.T, cs string, a, b *srctest.Stream) *srctest.SRC {
	t.Helper()
	n := startNode(t)
	ctx := t.Context()
	src, err := srctest.New(n.srv.App.SIP.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if code, err := src.Invite(ctx, cs, a, b); err != nil || code != 200 {
		t.Fatalf("INVITE: %d %v", code, err)
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
	chA, chB := channelOf(md, aorID(a.AOR)), channelOf(md, aorID(b.AOR))
	if chA != 0 || chB != 1 {
		t.Fatalf("channels %d %d: %+v", chA, chB, md.Participants)
	}
	for _, c := range []struct {
		ch []int16
		f  float64
	}{{x[chA], toneA}, {x[chB], toneB}} {
		s := spans(c.ch)
		if len(s) != 1 || s[0][1]-s[0][0] < 1900*16 || s[0][1]-s[0][0] > 2100*16 {
			t.Fatalf("%v Hz: tone spans %v, want one of 2 s", c.f, s)
		}
		checkTone(t, "tone", c.ch, s[0][0]+1600, s[0][1]-1600, c.f, toneAmp)
	}
	return src
}

// aorID is the rawId of a tel: AOR ("4:+<number>"), or the sip: AOR itself.
func aorID(aor string) string {
	if num, ok := strings.CutPrefix(aor, "tel:"); ok {
		return "4:" + num
	}
	return aor
}
