package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/simulate/sipphone"
)

// TestRingingCallAcrossAKill9: a phone calls a number over UDP and rings;
// the application gets IncomingCall; callrec is killed with SIGKILL and
// started again on the same data directory and SIP address. The phone,
// whose INVITE got its 180 and so waits without retransmitting, gets
// 480 from the restarted server instead of silence, and the application's
// answer with the old context is 404 IncomingCallExpired.
func TestRingingCallAcrossAKill9(t *testing.T) {
	dataDir := t.TempDir()
	sipAddr := freeSIPAddr(t).String()
	args := []string{"--ice-loopback-only", "--sip-addr=" + sipAddr, "--webhook-poll-interval", "100ms"}
	srv := startServer(t, serverOptions{dataDir: dataDir, args: args})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := startCallbackReceiver(t, nil)
	subscribeIncoming(t, client, sink.URL+"/eventgrid")

	rang := make(chan error, 1)
	go func() {
		_, err := sipphone.Dial(ctx, sipphone.DialOptions{Server: sipAddr, CallID: "+18005550142", Participant: "4:+14255550142"})
		rang <- err
	}()
	icc := waitEvent(t, sink, "/eventgrid", "Microsoft.Communication.IncomingCall")["incomingCallContext"].(string)
	srv.Kill(t)
	srv = startServer(t, serverOptions{dataDir: dataDir, addr: srv.addr, args: args})

	select {
	case err := <-rang:
		var re *sipphone.RejectedError
		if !errors.As(err, &re) || re.Status != 480 {
			t.Errorf("the caller of a call ringing across the restart: %v, want 480", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the caller got no final answer after the restart")
	}
	client, err = callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.AnswerCall(ctx, icc, sink.URL+"/callback", nil); !hasCode(err, "IncomingCallExpired") {
		t.Errorf("answering after the restart: %v, want 404 IncomingCallExpired", err)
	}
}
