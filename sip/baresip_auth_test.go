package sip_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/baresiptest"
)

// TestBaresipAuthenticates runs baresip phones against an endpoint with
// --sip-auth-file (loopback-only namespace): one REGISTERs with its
// password in auto-answer, and createCall to sip:<its user>@127.0.0.1
// reaches it at its registered Contact (its 660 Hz tone recorded);
// another calls callrec answering the 401 with its password (its 440 Hz
// tone recorded); one with a wrong password is refused 403 and never
// joins.
func TestBaresipAuthenticates(t *testing.T) {
	if !baresiptest.InLoopbackNamespace(t) {
		return
	}
	users := usersFile(t, "+14255550181:reg-secret", "+14255550182:dial-secret")
	sink := newEvents(t)
	// baresip 1.0 (Debian 12) fails a challenge it cannot answer rather
	// than take the next: it gets MD5 alone.
	n := startRingingNode(t, sink, func(c *app.Config) { c.SIPAuthFile, c.SIPAuthAlgorithms = users, []string{"MD5"} })
	ctx := t.Context()
	t.Run("registered phone is dialled", func(t *testing.T) {
		ph := baresiptest.Start(t, baresiptest.Options{Number: "+14255550181", Tone: 660, Password: "reg-secret",
			Registrar: n.sip.String()})
		waitLog(t, ph, "200 OK")
		target := "sip:+14255550181@127.0.0.1"
		props, err := n.client.CreateCall(ctx, callautomation.UnknownIdentifier{ID: target}, sink.url+"/dialled", nil)
		if err != nil {
			t.Fatal(err)
		}
		sink.wait(t, "Microsoft.Communication.CallConnected", func(d map[string]any) bool {
			return d["callConnectionId"] == props.CallConnectionID
		})
		n.waitParticipants(t, props.ServerCallID, []string{target})
		recID := n.startRecording(t, props.ServerCallID)
		time.Sleep(3 * time.Second)
		checkRecordedTone(t, n, recID, 660, ph)
		if err := n.client.CallConnection(props.CallConnectionID).HangUp(ctx, true); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("phone calls with its password", func(t *testing.T) {
		callID := n.createCall(t)
		recID := n.startRecording(t, callID)
		ph := baresiptest.Start(t, baresiptest.Options{Number: "+14255550182", Tone: 440, Password: "dial-secret",
			Dial: "sip:" + callID + "@" + n.sip.String(), Duration: 4 * time.Second})
		n.waitParticipants(t, callID, []string{"4:+14255550182"})
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := ph.Wait(wctx); err != nil {
			t.Fatalf("baresip did not quit: %v", err)
		}
		n.waitParticipants(t, callID, nil)
		checkRecordedTone(t, n, recID, 440, ph)
	})
	t.Run("wrong password", func(t *testing.T) {
		callID := n.createCall(t)
		ph := baresiptest.Start(t, baresiptest.Options{Number: "+14255550182", Tone: 440, Password: "guess",
			Dial: "sip:" + callID + "@" + n.sip.String()})
		waitLog(t, ph, "403 Forbidden")
		if got := n.srv.App.Hub.Participants(callID); len(got) != 0 {
			t.Errorf("refused phone joined: %v", got)
		}
	})
}

// waitLog waits until baresip has printed s.
func waitLog(t *testing.T, ph *baresiptest.Phone, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(ph.Log(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("baresip never printed %q:\n%s", s, ph.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkRecordedTone stops a recording and checks its one participant's
// channel holds at least 1 s of a freq Hz tone.
func checkRecordedTone(t *testing.T, n *node, recID string, freq float64, ph *baresiptest.Phone) {
	t.Helper()
	x, _, ids := n.recorded(t, recID)
	if len(ids) != 1 {
		t.Errorf("metadata participants %v", ids)
	}
	first := audio.FirstAbove(x, 0.02)
	if first < 0 || len(x)-first < 16000+1600 {
		t.Fatalf("tone from sample %d of %d: want at least 1 s of it\n%s", first, len(x), ph.Log())
	}
	seg := x[first+1600 : first+1600+16000]
	f, ratio := audio.DetectTone(seg, 16000, []float64{440, 660, 880, 1000})
	t.Logf("recorded %v Hz (×%.0f over the next), %.1f dBFS", f, ratio, audio.DBFS(audio.RMS(seg)))
	if f != freq || ratio < 100 || !slices.Contains([]float64{440, 660}, f) {
		t.Errorf("recorded %v Hz (×%.0f), want %v Hz", f, ratio, freq)
	}
}
