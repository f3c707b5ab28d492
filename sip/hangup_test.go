package sip_test

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	callsip "github.com/callrec/callrec/sip"
)

// listeningPhone is a phone that also takes callrec's requests (BYE) on the
// port it sends from; the BYEs it answered arrive on the channel.
func listeningPhone(t *testing.T, server netip.AddrPort, user string) (*phone, <-chan *sip.Request) {
	t.Helper()
	ph := newPhone(t, server, user)
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	srv, err := sipgo.NewServer(ph.ua)
	if err != nil {
		t.Fatal(err)
	}
	byes := make(chan *sip.Request, 1)
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		byes <- req
	})
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { srv.Close(); conn.Close() })
	client, err := sipgo.NewClient(ph.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port))
	if err != nil {
		t.Fatal(err)
	}
	ph.dialog = &sipgo.DialogUA{Client: client,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port}}}
	return ph, byes
}

func waitBye(t *testing.T, byes <-chan *sip.Request) {
	t.Helper()
	select {
	case bye := <-byes:
		if bye.CallID().Value() == "" {
			t.Error("BYE without Call-ID")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no BYE from callrec")
	}
}

// startEndpoint runs a SIP endpoint of its own on the node's hub and a
// call service (the node's, or one wrapping it).
func startEndpoint(t *testing.T, n *node, cfg callsip.Config) *callsip.Endpoint {
	t.Helper()
	cfg.Addr, cfg.Hub = "127.0.0.1:0", n.srv.App.Hub
	if cfg.Calls == nil {
		cfg.Calls = n.srv.App.Service
	}
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ep, err := callsip.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close(context.WithoutCancel(t.Context())) })
	return ep
}

// TestCallHangupSendsBye: when the call media core hangs up the call, the
// phone gets a BYE and the participant leaves.
func TestCallHangupSendsBye(t *testing.T) {
	n := startNode(t)
	ctx := t.Context()
	callID := n.createCall(t)
	ph, byes := listeningPhone(t, n.sip, "dave")
	_, code, _ := ph.call(ctx, callID, "udp", ph.offer("0", "sendrecv"))
	if code != 200 {
		t.Fatalf("INVITE answered %d", code)
	}
	n.waitParticipants(t, callID, []string{"sip:dave@127.0.0.1"})
	if err := n.srv.App.Hub.Hangup(ctx, callID); err != nil {
		t.Fatal(err)
	}
	waitBye(t, byes)
	n.waitParticipants(t, callID, nil)
}

// TestSilentPhoneIsHungUp: a phone that stops sending RTP (and is not on
// hold) gets a BYE after the media timeout and leaves.
func TestSilentPhoneIsHungUp(t *testing.T) {
	n := startNode(t)
	ctx := t.Context()
	callID := n.createCall(t)
	ep := startEndpoint(t, n, callsip.Config{MediaTimeout: 700 * time.Millisecond})
	ph, byes := listeningPhone(t, ep.Addr(), "erin")
	_, code, answer := ph.call(ctx, callID, "udp", ph.offer("0", "sendrecv"))
	if code != 200 {
		t.Fatalf("INVITE answered %d", code)
	}
	to, _, _ := media(t, answer)
	n.waitParticipants(t, callID, []string{"sip:erin@127.0.0.1"})
	newSender(ph.rtp, to, "PCMU").tone(440, 0.5, 300*time.Millisecond)
	stopped := time.Now() // the last packet went out 20 ms ago
	waitBye(t, byes)
	if d := time.Since(stopped); d < 680*time.Millisecond {
		t.Errorf("hung up %v after the last packet, before the timeout", d)
	}
	n.waitParticipants(t, callID, nil)
}
