package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/jointoken"
)

// runMediaCLI runs `callrec token` / `callrec simulate` in process.
func runMediaCLI(t *testing.T, cs string, args ...string) (string, error) {
	t.Helper()
	t.Setenv(connectionStringEnv, cs)
	root := &cobra.Command{Use: "callrec", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newTokenCmd(), newSimulateCmd())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// TestTokenAndSimulateCommands: `callrec token` mints a token the server
// accepts (its join page answers), and `callrec simulate` joins two
// participants that the call then lists.
func TestTokenAndSimulateCommands(t *testing.T) {
	node := testserver.Start(t)
	call, err := node.App.Service.CreateCall(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := runMediaCLI(t, node.ConnectionString, "token", "--call", call.ServerCallID, "--participant", "8:acs:cli_user", "--ttl", "10m")
	if err != nil {
		t.Fatalf("token: %v\n%s", err, out)
	}
	var tok struct{ Token, ExpiresOn, JoinURL string }
	if err := json.Unmarshal([]byte(out), &tok); err != nil {
		t.Fatalf("token output %q: %v", out, err)
	}
	claims, err := jointoken.Verify(mustKey(t, node), tok.Token, call.ServerCallID, time.Now())
	if err != nil || claims.RawID != "8:acs:cli_user" {
		t.Fatalf("minted token: %+v, %v", claims, err)
	}
	u, err := url.Parse(tok.JoinURL)
	if err != nil || u.Query().Get("token") != tok.Token || u.Query().Get("call") != call.ServerCallID {
		t.Fatalf("joinUrl %q", tok.JoinURL)
	}
	resp, err := http.Get(tok.JoinURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("join page: %s", resp.Status)
	}

	out, err = runMediaCLI(t, node.ConnectionString, "simulate", "--call", call.ServerCallID,
		"--participant", "8:acs:cli_a=tone:440", "--participant", "4:+14255550100=silence",
		"--duration", "1s", "--loss", "5%", "--jitter", "10ms", "--ice-loopback-only")
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	if strings.Count(out, ": sent 50 packets, 1s of ") != 2 { // 20 ms packets for the whole second
		t.Fatalf("simulate printed %q", out)
	}
	got, err := node.App.Service.Call(context.Background(), call.ServerCallID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Participants) != 2 {
		t.Fatalf("participants %+v", got.Participants)
	}

	if _, err := runMediaCLI(t, node.ConnectionString, "simulate", "--call", call.ServerCallID,
		"--participant", "8:acs:x=tone:abc"); err == nil {
		t.Fatal("bad source accepted")
	}
	if _, err := runMediaCLI(t, node.ConnectionString, "simulate", "--call", call.ServerCallID,
		"--participant", "8:acs:x=tone:440,video:purple"); err == nil || !strings.Contains(err.Error(), "red, green, blue") {
		t.Fatalf("an unknown video colour: %v, want an error that lists the colours", err)
	}
	if _, err := runMediaCLI(t, node.ConnectionString, "simulate", "--call", call.ServerCallID,
		"--participant", "8:acs:x=silence", "--loss", "150%"); err == nil {
		t.Fatal("loss of 150% accepted")
	}

	// Ending the call hangs the simulated participant up: simulate says so
	// and exits; the ended call gets no new token.
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := runMediaCLI(t, node.ConnectionString, "simulate", "--call", call.ServerCallID,
			"--participant", "8:acs:cli_a=tone:440", "--duration", "1m", "--ice-loopback-only")
		done <- result{out, err}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(node.App.Hub.Participants(call.ServerCallID)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the simulated participant never joined")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := node.App.Service.EndCall(t.Context(), call.ServerCallID); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || !strings.Contains(r.out, "the call ended") {
			t.Errorf("simulate after the call ended: %v\n%s", r.err, r.out)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("simulate did not exit when the call ended")
	}
	out, err = runMediaCLI(t, node.ConnectionString, "token", "--call", call.ServerCallID, "--participant", "8:acs:late")
	if err == nil || !strings.Contains(err.Error(), "CallEnded") {
		t.Errorf("token for an ended call: %v\n%s", err, out)
	}
}

func mustKey(t *testing.T, node *testserver.Server) []byte {
	t.Helper()
	cs, err := hmacauth.ParseConnectionString(node.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	return cs.Key
}

// TestSimulatePhones: `callrec simulate` with sip: sources calls the
// server's SIP endpoint as phones (a number, and a sip: URI over G.722),
// which the call lists as participants while they stream; bad phone
// participants are refused before anything is sent.
func TestSimulatePhones(t *testing.T) {
	node := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.SIPAddr = "127.0.0.1:0" }))
	call, err := node.App.Service.CreateCall(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	sipAddr := node.App.SIP.Addr().String()
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := runMediaCLI(t, node.ConnectionString, "simulate", "--call", call.ServerCallID, "--sip-addr", sipAddr,
			"--participant", "4:+14255550100=sip:tone:440", "--participant", "sip:bob@example.com=sip/g722:tone:660",
			"--duration", "2s", "--loss", "2%")
		done <- result{out, err}
	}()
	// Each phone must be seen in the call while it streams.
	seen := map[string]bool{}
	var r result
	for waiting := true; waiting; {
		select {
		case r = <-done:
			waiting = false
		case <-time.After(10 * time.Millisecond):
		}
		for _, p := range node.App.Hub.Participants(call.ServerCallID) {
			seen[p] = true
		}
	}
	if r.err != nil {
		t.Fatalf("simulate: %v\n%s", r.err, r.out)
	}
	if want := []string{"4:+14255550100", "sip:bob@example.com"}; !slices.Equal(slices.Sorted(maps.Keys(seen)), want) {
		t.Errorf("participants seen %v, want %v", slices.Sorted(maps.Keys(seen)), want)
	}
	for _, line := range []string{"4:+14255550100: sent ", "of sip:tone:440 (of 2s asked)", "sip:bob@example.com: sent ", "of sip/g722:tone:660"} {
		if !strings.Contains(r.out, line) {
			t.Errorf("simulate printed %q, want %q in it", r.out, line)
		}
	}
	for _, bad := range [][]string{
		{"8:acs:x=sip:tone:440"},         // not a phone's id
		{"4:+14255550100=sip/opus:tone"}, // no such codec
		{"4:+14255550100=sip:tone:5000"}, // above G.711's band
	} {
		if out, err := runMediaCLI(t, node.ConnectionString, "simulate", "--call", call.ServerCallID, "--sip-addr", sipAddr,
			"--participant", bad[0], "--duration", "1s"); err == nil {
			t.Errorf("%s accepted: %s", bad[0], out)
		}
	}
}
