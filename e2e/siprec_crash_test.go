package e2e

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/srctest"
	"github.com/callrec/callrec/siprec"
)

// TestKill9MidSIPRECSession: an SRC records a session of two streams into
// a real `callrec serve`, which is killed with SIGKILL mid-session and
// started again on the same data directory and SIP address. The SRC then
// sends a new INVITE for the same communication session: it is the same
// call (no second one), the same recording goes on, and after the BYE the
// recording has two chunks, the killed process's finalized with the tone
// it had received.
func TestKill9MidSIPRECSession(t *testing.T) {
	dataDir := t.TempDir()
	sipAddr := freeSIPAddr(t)
	args := []string{"--ice-loopback-only", "--sip-addr=" + sipAddr.String()}
	srv := startServer(t, serverOptions{dataDir: dataDir, args: args})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const cs = "kill9-session"
	a := &srctest.Stream{Label: "1", AOR: "tel:+14255550121"}
	b := &srctest.Stream{Label: "2", AOR: "sip:agent@pbx.example"}
	src, err := srctest.New(sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if code, err := src.Invite(ctx, cs, a, b); err != nil || code != 200 {
		t.Fatalf("INVITE: %d %v", code, err)
	}
	sent := make(chan error, 1)
	go func() {
		_, err := src.Tone(ctx, []float64{440, 1000}, 0.5, 4*time.Second)
		sent <- err
	}()
	time.Sleep(2500 * time.Millisecond)
	srv.Kill(t)
	if err := <-sent; err != nil {
		t.Fatalf("sending: %v", err)
	}

	srv = startServer(t, serverOptions{dataDir: dataDir, addr: srv.addr, args: args})
	src2, err := srctest.New(sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer src2.Close()
	a2 := &srctest.Stream{Label: "1", AOR: a.AOR}
	b2 := &srctest.Stream{Label: "2", AOR: b.AOR}
	if code, err := src2.Invite(ctx, cs, a2, b2); err != nil || code != 200 {
		t.Fatalf("INVITE after the restart: %d %v", code, err)
	}
	if _, err := src2.Tone(ctx, []float64{440, 1000}, 0.5, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := src2.Bye(ctx); err != nil {
		t.Fatal(err)
	}

	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	callID := siprec.ServerCallID(cs, 0)
	var calls []*callrec.Call
	deadline := time.Now().Add(30 * time.Second)
	for {
		calls = calls[:0]
		for c, err := range client.Calls().List(callautomation.ListCallsOptions{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, c)
		}
		if len(calls) == 1 && calls[0].ServerCallID == callID && calls[0].State == callrec.CallEnded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls %+v, want one, %s, ended", calls, callID)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var recs []callautomation.RecordingSummary
	for r, err := range client.CallRecording().List(callautomation.ListRecordingsOptions{ServerCallID: callID}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 1 {
		t.Fatalf("recordings %+v, want one", recs)
	}
	rec := client.CallRecording()
	var res *callautomation.RecordingResult
	for {
		res, err = rec.Result(ctx, recs[0].RecordingID)
		if err == nil && res.SessionEndReason != "" && res.SessionEndReason != "sessionStillOngoing" {
			break
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("recording not stopped: %+v %v", res, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	chunks := res.RecordingStorageInfo.RecordingChunks
	if len(chunks) != 2 || chunks[0].EndReason != callrec.EndReasonServiceRestarted {
		t.Fatalf("chunks %+v, want two, the first ended by the restart", chunks)
	}
	for i, c := range chunks {
		var content bytes.Buffer
		if _, err := rec.DownloadTo(ctx, c.ContentLocation, &content); err != nil {
			t.Fatal(err)
		}
		w, err := wav.Read(bytes.NewReader(content.Bytes()))
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		for ch, f := range []float64{440, 1000} {
			x := w.Channels[ch]
			first := audio.FirstAbove(x, 0.1)
			n := 0
			for _, v := range x[max(first, 0):] {
				if v > 3277 || v < -3277 {
					n++
				}
			}
			if first < 0 || n < 16000/2 {
				t.Errorf("chunk %d channel %d: no tone (first %d, %d loud samples)", i, ch, first, n)
				continue
			}
			seg := x[first : first+16000]
			got, ratio := audio.DetectTone(seg, 16000, []float64{440, 1000, 700})
			if got != f || ratio < 50 {
				t.Errorf("chunk %d channel %d: %v Hz (×%.0f), want %v Hz", i, ch, got, ratio, f)
			}
		}
	}
}

// freeSIPAddr returns a 127.0.0.1 port free for UDP and TCP a moment ago.
func freeSIPAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	for range 20 {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		u.Close()
		if err == nil {
			l.Close()
			return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
		}
	}
	t.Fatal("no free port for SIP")
	return netip.AddrPort{}
}
