package sip_test

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/baresiptest"
)

// TestCreateCallDialsOut: createCall through the Go SDK to a real baresip
// phone in auto-answer (loopback-only namespace): callrec INVITEs it, it
// answers, CallConnected arrives at the callback, and an unmixed recording
// started by serverCallId has the phone's 660 Hz tone on its channel.
// Then a createCall to a SIP URI nothing listens at (a closed loopback
// TCP port: a transport error, which counts as 503) ends with
// CreateCallFailed.
func TestCreateCallDialsOut(t *testing.T) {
	if !baresiptest.InLoopbackNamespace(t) {
		return
	}
	sink := newEvents(t)
	n := startRingingNode(t, sink)
	ctx := t.Context()
	t.Run("answered", func(t *testing.T) {
		ph := baresiptest.AutoAnswer(t, "+14255550170", 660)
		props, err := n.client.CreateCall(ctx, callautomation.UnknownIdentifier{ID: ph.URI}, sink.url+"/dialled",
			&callautomation.CreateCallOptions{OperationContext: "op-dial"})
		if err != nil {
			t.Fatal(err)
		}
		connected := sink.wait(t, "Microsoft.Communication.CallConnected", func(d map[string]any) bool {
			return d["callConnectionId"] == props.CallConnectionID
		})
		if d := connected["data"].(map[string]any); d["serverCallId"] != props.ServerCallID || d["operationContext"] != "op-dial" {
			t.Fatalf("CallConnected %v", connected)
		}
		n.waitParticipants(t, props.ServerCallID, []string{ph.URI})
		recID := n.startRecording(t, props.ServerCallID)
		// 3 s of wall time; the check below asks only 1 s of tone, so a
		// loaded host that delays the media still passes.
		time.Sleep(3 * time.Second)
		x, _, ids := n.recorded(t, recID)
		if !slices.Equal(ids, []string{ph.URI}) {
			t.Errorf("metadata participants %v", ids)
		}
		first := audio.FirstAbove(x, 0.02)
		if first < 0 || len(x)-first < 16000 {
			t.Fatalf("tone from sample %d of %d: want at least 1 s of it\n%s", first, len(x), ph.Log())
		}
		seg := x[first+1600:]
		f, ratio := audio.DetectTone(seg, 16000, []float64{440, 660, 880, 1000})
		t.Logf("dialled %s; recorded %v Hz (×%.0f over the next), %.1f dBFS, %.2f s", ph.URI, f, ratio,
			audio.DBFS(audio.RMS(seg)), float64(len(seg))/16000)
		if f != 660 || ratio < 100 {
			t.Errorf("recorded %v Hz (×%.0f), want the phone's 660 Hz tone", f, ratio)
		}
		if err := n.client.CallConnection(props.CallConnectionID).HangUp(ctx, true); err != nil {
			t.Fatal(err)
		}
		n.waitParticipants(t, props.ServerCallID, nil)
	})
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		target := "sip:nobody@" + ln.Addr().String() + ";transport=tcp"
		ln.Close()
		props, err := n.client.CreateCall(ctx, callautomation.UnknownIdentifier{ID: target}, sink.url+"/refused", nil)
		if err != nil {
			t.Fatal(err)
		}
		failed := sink.wait(t, "Microsoft.Communication.CreateCallFailed", func(d map[string]any) bool {
			return d["callConnectionId"] == props.CallConnectionID
		})
		info := failed["data"].(map[string]any)["resultInformation"].(map[string]any)
		t.Logf("CreateCallFailed %v", info)
		if info["code"] != float64(503) {
			t.Errorf("resultInformation %v, want code 503", info)
		}
	})
}
