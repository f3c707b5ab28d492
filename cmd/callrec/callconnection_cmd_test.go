package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
)

// TestCLICallConnection: a phone (sipgo) calls a number; `call answer`
// answers it with the IncomingCall event's context, `call participants`
// lists the phone, `call connection` prints the connection, `call hangup
// --for-everyone` ends the call; `call reject` of a context that no longer
// rings fails with 404 IncomingCallNotFound.
func TestCLICallConnection(t *testing.T) {
	srv := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.SIPAddr = "127.0.0.1:0" }))
	cs := srv.ConnectionString
	ctx := t.Context()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("cli-test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	dialogs := &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "+14255550100", Host: "127.0.0.1"}}}
	addr := srv.App.SIP.Addr()
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "+14255550100", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	offer := "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"
	answered := make(chan int, 1)
	go func() {
		s, err := dialogs.Invite(ctx, sip.Uri{Scheme: "sip", User: "+18005550100", Host: addr.Addr().String(), Port: int(addr.Port())},
			[]byte(offer), from, sip.NewHeader("Content-Type", "application/sdp"))
		if err != nil {
			answered <- 0
			return
		}
		err = s.WaitAnswer(ctx, sipgo.AnswerOptions{})
		if err == nil {
			_ = s.Ack(ctx)
		}
		answered <- s.InviteResponse.StatusCode
	}()

	var incoming string
	for deadline := time.Now().Add(20 * time.Second); incoming == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		evs, err := srv.App.DB.Events(ctx, "Microsoft.Communication.IncomingCall")
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 {
			var d struct {
				IncomingCallContext string `json:"incomingCallContext"`
			}
			_ = json.Unmarshal(evs[0].Data, &d)
			incoming = d.IncomingCallContext
		}
	}
	if incoming == "" {
		t.Fatal("no IncomingCall event")
	}
	if r := runCLI(t, cs, "call", "answer", incoming); r.err == nil {
		t.Error("call answer without --callback succeeded")
	}
	var conn struct {
		CallConnectionID, ServerCallID, AnsweredFor, Source string
	}
	out := mustRun(t, cs, "call", "answer", incoming, "--callback", "http://127.0.0.1:9/cb")
	if err := json.Unmarshal([]byte(out), &conn); err != nil || conn.CallConnectionID == "" || conn.ServerCallID == "" ||
		conn.AnsweredFor != "+18005550100" || conn.Source != "4:+14255550100" {
		t.Fatalf("call answer printed %s (%v)", out, err)
	}
	if code := <-answered; code != 200 {
		t.Fatalf("the phone got %d", code)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := mustRun(t, cs, "call", "participants", conn.CallConnectionID)
		if got == "4:+14255550100\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("call participants printed %q", got)
		}
	}
	if out := mustRun(t, cs, "call", "connection", conn.CallConnectionID); !strings.Contains(out, `"callConnectionState": "connected"`) &&
		!strings.Contains(out, `"callConnectionState": "connecting"`) {
		t.Errorf("call connection printed %s", out)
	}
	mustRun(t, cs, "call", "hangup", "--for-everyone", conn.CallConnectionID)
	if out := mustRun(t, cs, "call", "show", conn.ServerCallID); !strings.Contains(out, `"state": "ended"`) {
		t.Errorf("the call after hangup --for-everyone: %s", out)
	}
	r := runCLI(t, cs, "call", "reject", incoming, "--reason", "busy")
	if r.err == nil || !strings.Contains(r.stderr, "IncomingCallNotFound") || !strings.Contains(r.stderr, "(HTTP 404)") {
		t.Errorf("rejecting an answered call: %q", r.stderr)
	}
}
