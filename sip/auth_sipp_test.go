package sip_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
)

// sippBinary returns sipp's path, or skips (fails in CI) without it.
func sippBinary(t *testing.T) string {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sipp is required in CI: %v", err)
		}
		t.Skip("sipp not installed (apt-get install sip-tester)")
	}
	return sipp
}

// TestSippAuth runs sipp for the challenge paths, scenarios in
// testdata/sipp-auth: as a phone against --sip-auth-file (MD5, which
// sipp answers), one that answers the 401 with its password (joins and
// leaves) and one with a wrong password (403); as a trunk (--sip-trunk
// with --sip-trunk-auth-file), one that challenges createCall's INVITE
// with 401 and checks the credentials (CallConnected), and one that
// challenges with 407 and again (callrec answers once: CreateCallFailed
// 407).
func TestSippAuth(t *testing.T) {
	sipp := sippBinary(t)
	users := usersFile(t, "alice:wonderland")
	trunkAuth := usersFile(t, "callrec-trunk:trunk-secret")
	trunkPort := freePort(t)
	sink := newEvents(t)
	n := startRingingNode(t, sink, func(c *app.Config) {
		c.SIPAuthFile, c.SIPAuthAlgorithms = users, []string{"MD5"}
		c.SIPTrunk, c.SIPTrunkAuthFile = "127.0.0.1:"+strconv.Itoa(trunkPort), trunkAuth
	})
	scenario := func(name string) string {
		p, err := filepath.Abs(filepath.Join("testdata", "sipp-auth", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// sippRun runs sipp; its error says why it failed.
	sippRun := func(t *testing.T, dir string, args ...string) error {
		args = append(args, "-m", "1", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-timeout", "30s", "-timeout_error",
			"-trace_err", "-error_file", filepath.Join(dir, "errors.log"))
		cmd := exec.CommandContext(t.Context(), sipp, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
			return fmt.Errorf("sipp: %v\n%s\n%s", err, out, errs)
		}
		return nil
	}
	run := func(t *testing.T, args ...string) {
		if err := sippRun(t, t.TempDir(), args...); err != nil {
			t.Fatal(err)
		}
	}
	server := "127.0.0.1:" + strconv.Itoa(int(n.sip.Port()))
	t.Run("phone answers the challenge", func(t *testing.T) {
		callID := n.createCall(t)
		run(t, "-sf", scenario("invite-auth.xml"), "-s", callID, "-au", "alice", "-ap", "wonderland", "-p", "0", server)
		n.waitParticipants(t, callID, nil)
	})
	t.Run("phone with a wrong password", func(t *testing.T) {
		callID := n.createCall(t)
		run(t, "-sf", scenario("invite-wrong-password.xml"), "-s", callID, "-au", "alice", "-ap", "guess", "-p", "0", server)
		if got := n.srv.App.Hub.Participants(callID); len(got) != 0 {
			t.Errorf("refused phone joined: %v", got)
		}
	})
	// trunk starts sipp as the trunk and waits until it listens.
	trunk := func(t *testing.T, file string) chan error {
		done := make(chan error, 1)
		dir := t.TempDir()
		go func() { done <- sippRun(t, dir, "-sf", scenario(file), "-p", strconv.Itoa(trunkPort)) }()
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(trunkPort))
			if err != nil {
				break // sipp has it
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatal("sipp never listened")
			}
			time.Sleep(50 * time.Millisecond)
		}
		return done
	}
	dial := func(t *testing.T, number string) *callautomation.CallConnectionProperties {
		props, err := n.client.CreateCall(t.Context(), callautomation.PhoneNumberIdentifier{PhoneNumber: number}, sink.url+"/trunk",
			&callautomation.CreateCallOptions{SourceCallerIDNumber: "+18005550100"})
		if err != nil {
			t.Fatal(err)
		}
		return props
	}
	t.Run("trunk challenges with 401", func(t *testing.T) {
		done := trunk(t, "trunk-401.xml")
		props := dial(t, "+14255550191")
		ev := sink.wait(t, "", func(d map[string]any) bool {
			return d["callConnectionId"] == props.CallConnectionID && (d["publicEventType"] == "Microsoft.Communication.CallConnected" ||
				d["publicEventType"] == "Microsoft.Communication.CreateCallFailed")
		})
		if ev["type"] != "Microsoft.Communication.CallConnected" {
			err := <-done
			t.Fatalf("createCall through the trunk: %v\n%v", ev, err)
		}
		if err := n.client.CallConnection(props.CallConnectionID).HangUp(t.Context(), true); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("trunk refuses the credentials", func(t *testing.T) {
		done := trunk(t, "trunk-rechallenge.xml")
		props := dial(t, "+14255550192")
		failed := sink.wait(t, "Microsoft.Communication.CreateCallFailed", func(d map[string]any) bool {
			return d["callConnectionId"] == props.CallConnectionID
		})
		if info := failed["data"].(map[string]any)["resultInformation"].(map[string]any); info["code"] != float64(407) {
			t.Errorf("resultInformation %v, want code 407", info)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// freePort returns a UDP port free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
