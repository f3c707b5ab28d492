package sip_test

import (
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TestCallHangupSendsBye: when the call media core hangs up the call, the
// phone gets a BYE and the participant leaves.
func TestCallHangupSendsBye(t *testing.T) {
	n := startNode(t)
	ctx := t.Context()
	callID := n.createCall(t)
	ph := newPhone(t, n.sip, "dave")

	// The phone listens for callrec's requests on the port it sends from.
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
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "dave", Host: "127.0.0.1", Port: port}}}

	_, code, _ := ph.call(ctx, callID, "udp", ph.offer("0", "sendrecv"))
	if code != 200 {
		t.Fatalf("INVITE answered %d", code)
	}
	n.waitParticipants(t, callID, []string{"sip:dave@127.0.0.1"})
	if err := n.srv.App.Hub.Hangup(ctx, callID); err != nil {
		t.Fatal(err)
	}
	select {
	case bye := <-byes:
		if bye.CallID().Value() == "" {
			t.Error("BYE without Call-ID")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no BYE from callrec")
	}
	n.waitParticipants(t, callID, nil)
}
