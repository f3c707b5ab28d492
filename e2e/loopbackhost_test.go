package e2e

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
)

// inLoopbackNamespace marks the test process re-run under `unshare -n`.
const inLoopbackNamespace = "E2E_IN_LOOPBACK_NAMESPACE"

// TestLoopbackOnlyHostNoFlags: on a host whose only interface is loopback
// (an offline laptop, a container without network), `callrec serve` and
// `callrec simulate` work with no media flag: both fall back to 127.0.0.1
// and say so, and a recording of a tone made that way holds the tone when
// downloaded. On a host with a network, the test runs itself again in a new
// network namespace that has only lo (`unshare -n`, root only); without
// root it skips.
func TestLoopbackOnlyHostNoFlags(t *testing.T) {
	if !onlyLoopback(t) {
		if os.Getenv(inLoopbackNamespace) != "" {
			t.Fatal("re-run under unshare -n, but this host still has an interface other than loopback")
		}
		rerunInLoopbackNamespace(t)
		return
	}
	srv := startServer(t, serverOptions{})
	stderr, _ := os.ReadFile(srv.stderrPath)
	if !strings.Contains(string(stderr), "WebRTC media on 127.0.0.1 only") {
		t.Errorf("serve did not log its fallback to loopback; stderr:\n%s", stderr)
	}
	ctx := t.Context()
	cs := srv.ConnectionString()
	client, err := callautomation.NewCallAutomationClient(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	callID, recordingID := startRecordedCall(ctx, t, client, callautomation.RecordingChannelMixed)

	sim := exec.CommandContext(ctx, callrecBinary(t), "simulate", "--call", callID, "--duration", "3s",
		"--participant", "8:acs:tone-440=tone:440")
	sim.Env = append(childEnv(), "CALLREC_CONNECTION_STRING="+cs)
	out, err := sim.CombinedOutput()
	if err != nil {
		t.Fatalf("callrec simulate with no flag: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "WebRTC media on 127.0.0.1 only") || !strings.Contains(string(out), ": sent 150 packets, 3s of tone:440") {
		t.Errorf("callrec simulate said:\n%s\nwant its fallback to loopback and 150 packets (3s) sent", out)
	}

	chunk := stopFirstChunk(ctx, t, client, recordingID)
	var content bytes.Buffer
	if _, err := client.CallRecording().DownloadTo(ctx, chunk.ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	checkHoldsTone(t, content.Bytes(), 440)
}

// onlyLoopback says whether every interface of this host that is up is a
// loopback one.
func onlyLoopback(t *testing.T) bool {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp != 0 && ifc.Flags&net.FlagLoopback == 0 {
			return false
		}
	}
	return true
}

// rerunInLoopbackNamespace runs the current test again, in a new network
// namespace whose only interface is lo, with the callrec binary built
// here, and reports its output. It skips when that cannot be done (not
// root, or no unshare / ip).
func rerunInLoopbackNamespace(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("this host has a network and the test is not root: cannot make a namespace with only lo (run as root, or in such a namespace: unshare -n sh -c 'ip link set lo up; go test ./e2e/...')")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: cannot make a namespace with only lo", tool)
		}
	}
	bin := callrecBinary(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	timeout := 5 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 10*time.Second
	}
	cmd := exec.CommandContext(t.Context(), "unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" "$@"`,
		self, "-test.run", "^"+t.Name()+"$", "-test.count=1", "-test.v", "-test.timeout="+timeout.String())
	cmd.Env = append(os.Environ(), inLoopbackNamespace+"=1", prebuiltBinary+"="+bin)
	out, err := cmd.CombinedOutput()
	t.Logf("in a namespace with only lo:\n%s", out)
	if err != nil {
		t.Fatalf("the test failed in a namespace with only lo: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatal("the test did not pass in the namespace")
	}
}
