package main

import (
	"bytes"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/testserver"
)

// TestSimulateLeavesOnSIGTERM: `callrec simulate` stopped by SIGTERM leaves
// the call (the server records both participants as left at once) and
// reports what each participant really sent, not what it was asked to.
func TestSimulateLeavesOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("real WebRTC call")
	}
	srv := testserver.Start(t)
	call, err := srv.App.Service.CreateCall(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	cmd := mainProcess(t, []string{connectionStringEnv + "=" + srv.ConnectionString}, "simulate", "--call", call.ServerCallID,
		"--participant", "8:acs:sig_a=tone:440", "--participant", "4:+14255550111=silence", "--duration", "60s", "--ice-loopback-only")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	present := func() (joined, left int) {
		c, err := srv.App.Service.Call(t.Context(), call.ServerCallID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Participants {
			joined++
			if p.LeftAt != nil {
				left++
			}
		}
		return joined, left
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if joined, _ := present(); joined == 2 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("simulate exited before joining: %v\nstdout %s\nstderr %s", err, &stdout, &stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("participants did not join; stderr %s", &stderr)
		}
	}
	time.Sleep(500 * time.Millisecond) // let some audio flow
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("simulate after SIGTERM: %v\nstdout %s\nstderr %s", err, &stdout, &stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("simulate still running 30 s after SIGTERM")
	}
	// The leave was sent before the process exited: no waiting here.
	if joined, left := present(); joined != 2 || left != 2 {
		t.Errorf("after SIGTERM: %d joined, %d left; want both left", joined, left)
	}
	report := regexp.MustCompile(`(?m)^(\S+): sent (\d+) packets, (\S+) of (\S+) \(of 1m0s asked\), \d+ dropped on the wire \(stopped early by a signal\)$`)
	lines := report.FindAllStringSubmatch(stdout.String(), -1)
	if len(lines) != 2 {
		t.Fatalf("report:\n%s\nstderr %s", &stdout, &stderr)
	}
	for _, l := range lines {
		sent, _ := strconv.Atoi(l[2])
		streamed, err := time.ParseDuration(l[3])
		// 60 s would be 3000 packets; the run lasted about a second.
		if sent <= 0 || sent >= 3000 || err != nil || streamed != time.Duration(sent)*20*time.Millisecond {
			t.Errorf("%s: sent %d packets, %s streamed", l[1], sent, l[3])
		}
	}
}
