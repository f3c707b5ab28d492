package sip_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/internal/baresiptest"
	"github.com/callrec/callrec/simulate/sipphone"
)

// TestBaresipPhones runs baresip, a real SIP phone, in a loopback-only
// network namespace: it calls callrec's sip:<serverCallId>@127.0.0.1
// playing a 440 Hz tone for 4 s and hangs up; the recording has the tone
// on its channel, at G.711's rendering of baresip's level, for about as
// long as the call lasted. Then a baresip phone in auto-answer (the helper
// Call Automation's createCall tests use) answers an INVITE and sends its
// 660 Hz tone.
func TestBaresipPhones(t *testing.T) {
	if !baresiptest.InLoopbackNamespace(t) {
		return
	}
	n := startNode(t)
	t.Run("calls callrec", func(t *testing.T) {
		callID := n.createCall(t)
		recID := n.startRecording(t, callID)
		ph := baresiptest.Start(t, baresiptest.Options{Number: "+14255550123", Tone: 440,
			Dial: "sip:" + callID + "@" + n.sip.String(), Duration: 4 * time.Second})
		n.waitParticipants(t, callID, []string{"4:+14255550123"})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := ph.Wait(ctx); err != nil {
			t.Fatalf("baresip did not quit: %v", err)
		}
		n.waitParticipants(t, callID, nil)
		x, _, ids := n.recorded(t, recID)
		if !slices.Equal(ids, []string{"4:+14255550123"}) {
			t.Errorf("metadata participants %v", ids)
		}
		first, last := audio.FirstAbove(x, 0.02), lastAbove(x, 0.02)
		// baresip quits 4 s after it started: the call's audio lasts a bit
		// less (its INVITE and answer come first).
		if first < 0 || last-first < 3*16000 || last-first > 4*16000+1600 {
			t.Fatalf("tone heard from %d to %d (samples): want 3–4.1 s of it", first, last)
		}
		seg := x[first+1600 : last-1600]
		f, ratio := audio.DetectTone(seg, 16000, []float64{440, 880, 220, 1000})
		level := audio.DBFS(audio.RMS(seg))
		t.Logf("baresip's tone: %v Hz (×%.0f over the next), %.1f dBFS, %.2f s", f, ratio, level, float64(last-first)/16000)
		if f != 440 || ratio < 100 || level < -40 {
			t.Errorf("recorded %v Hz (×%.0f), %.1f dBFS: want baresip's 440 Hz tone", f, ratio, level)
		}
	})
	t.Run("auto-answer", func(t *testing.T) {
		ph := baresiptest.AutoAnswer(t, "+14255550160", 660)
		uri := netip.MustParseAddrPort(ph.URI[len("sip:+14255550160@"):])
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		call, err := sipphone.Dial(ctx, sipphone.DialOptions{Server: uri.String(), CallID: "+14255550160",
			Participant: "4:+14255550100"})
		if err != nil {
			t.Fatalf("baresip did not answer: %v\n%s", err, ph.Log())
		}
		defer call.Close()
		// baresip sends its tone to the phone's RTP port: 2 s of it.
		var pcm []int16
		buf := make([]byte, 1500)
		pcm8 := make([]int16, 160)
		_ = call.RTP.SetReadDeadline(time.Now().Add(10 * time.Second))
		for len(pcm) < 2*8000 {
			k, _, err := call.RTP.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("RTP from baresip: %v (%d samples so far)", err, len(pcm))
			}
			if k > 12 && buf[1]&0x7f == 0 {
				m := g711.PCMU.Decode(pcm8, buf[12:k])
				pcm = append(pcm, pcm8[:m]...)
			}
		}
		if err := call.Hangup(ctx); err != nil {
			t.Errorf("BYE: %v", err)
		}
		seg := pcm[4000:]
		f, ratio := audio.DetectTone(seg, 8000, []float64{440, 660, 880, 1000})
		t.Logf("baresip answered %s; its tone: %v Hz (×%.0f), %.1f dBFS", ph.URI, f, ratio, audio.DBFS(audio.RMS(seg)))
		if f != 660 || ratio < 100 {
			t.Errorf("heard %v Hz (×%.0f over the next), want 660", f, ratio)
		}
	})
}
