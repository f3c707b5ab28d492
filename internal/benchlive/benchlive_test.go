package benchlive

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/pgtest"
)

// callrecBinary is the callrec executable Run starts as the server, built
// once for the package's tests, in binaryDir (removed by TestMain).
var (
	binaryDir     string
	callrecBinary = sync.OnceValues(buildCallrec)
)

func buildCallrec() (string, error) {
	dir, err := os.MkdirTemp("", "benchlive-callrec-")
	if err != nil {
		return "", err
	}
	binaryDir = dir
	bin := filepath.Join(dir, "callrec")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/callrec/callrec/cmd/callrec")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build callrec: %v\n%s", err, out)
	}
	return bin, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// runLive runs the benchmark small under a test: cfg with the package's
// callrec as the server, a work directory of the test's own, 1 s of
// warm-up and one quiet floor run unless cfg says otherwise. It fails the
// test (with the benchmark's progress) when the run cannot complete, and
// logs the report.
func runLive(t *testing.T, timeout time.Duration, cfg Config) *Result {
	t.Helper()
	if testing.Short() {
		t.Skip("builds callrec and runs real calls")
	}
	bin, err := callrecBinary()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Binary, cfg.WorkDir = bin, t.TempDir()
	if cfg.Warmup == 0 {
		cfg.Warmup = time.Second
	}
	if cfg.FloorRuns == 0 {
		cfg.FloorRuns = 1
	}
	var progress strings.Builder
	cfg.Progress = &progress
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	var report strings.Builder
	res.Report(&report)
	t.Log("\n" + report.String())
	return res
}

// TestLiveOneCallTwoParticipants runs the whole benchmark small: a child
// `callrec serve`, one call of two participants over WebRTC on loopback
// (or two phones over SIP) for 3 s, its recording downloaded and checked
// by content.
func TestLiveOneCallTwoParticipants(t *testing.T) {
	for _, tc := range []struct {
		name      string
		unmixed   bool
		transport string
	}{{"mixed", false, TransportWebRTC}, {"unmixed", true, TransportWebRTC}, {"sip-mixed", false, TransportSIP}} {
		t.Run(tc.name, func(t *testing.T) {
			res := runLive(t, 2*time.Minute, Config{
				Calls: 1, Participants: 2, Hold: 3 * time.Second, Unmixed: tc.unmixed, Transport: tc.transport,
			})
			if res.CallsHeld != 1 || res.Participants != 2 {
				t.Errorf("held %d calls with %d participants, want 1 with 2", res.CallsHeld, res.Participants)
			}
			if res.Recordings != 1 || res.Intact != 1 {
				t.Errorf("intact %d/%d: %v", res.Intact, res.Recordings, res.Problems)
			}
			// 2 participants × (1 s warm-up + 3 s) at 50 packets/s.
			if res.Sent < 2*4*50 || res.Received < res.Sent*98/100 {
				t.Errorf("sent %d, server received %d", res.Sent, res.Received)
			}
			if tc.transport == TransportWebRTC && res.DelaySamples < 2*3*50*9/10 {
				t.Errorf("%d delay samples for 300 packets in the window", res.DelaySamples)
			}
			if !res.ServerMeasured || res.ServerCPU <= 0 || res.ServerRSSBase <= 0 || res.ServerRSSPeak <= 0 {
				t.Errorf("server not measured: cpu %s, rss %d → %d", res.ServerCPU, res.ServerRSSBase, res.ServerRSSPeak)
			}
			if res.FloorPerParticipantMin <= 0 || res.CPUPerParticipantMin <= 0 {
				t.Errorf("floor %s, server %s per participant-minute", res.FloorPerParticipantMin, res.CPUPerParticipantMin)
			}
			// The floor is sampled all through the window, and measured
			// quietly before and after it.
			if len(res.FloorWindowSlices) != windowFloorSlices || res.FloorWindow <= 0 || len(res.FloorQuietRuns) != 2 {
				t.Errorf("floor: %d slices in the window (median %s), %d quiet runs", len(res.FloorWindowSlices), res.FloorWindow, len(res.FloorQuietRuns))
			}
			line := regexp.MustCompile(`^live:( transport=sip)? calls=1 participants=2 loss=[0-9.]+% cpu_per_participant_min=[0-9.]+ mem_per_call=[0-9]+ intact=1/1$`)
			if last := res.Line(); !line.MatchString(last) {
				t.Errorf("last line %q", last)
			}
			var report strings.Builder
			res.Report(&report)
			if !strings.HasSuffix(report.String(), res.Line()+"\n") {
				t.Error("the report does not end with the summary line")
			}
		})
	}
}

func TestProcReadsThisProcess(t *testing.T) {
	busy := time.Now()
	for time.Since(busy) < 50*time.Millisecond {
	}
	cpu, err := procCPU(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Fatalf("cpu %s, %v", cpu, err)
	}
	if self := selfCPU(); self < cpu/2 {
		t.Errorf("getrusage says %s, /proc says %s", self, cpu)
	}
	rss, err := procRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Fatalf("rss %d, %v", rss, err)
	}
}

// TestLiveTwoNodes runs the benchmark on two child servers sharing a
// PostgreSQL database, capacities 4 and 2: the three calls created through
// the first are placed by cost, (active calls + 1) / capacity, the first
// node winning ties: 1/4 < 1/2, 2/4 = 1/2, 3/4 > 1/2, so two on the
// first and one on the second. Each node's line gives its advertised
// capacity, calls, CPU and intact recordings.
func TestLiveTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and runs real calls")
	}
	pg := pgtest.StartServer(t)
	res := runLive(t, 3*time.Minute, Config{
		Calls: 3, Participants: 1, Hold: 3 * time.Second, Nodes: 2, Database: pg.DSN(), NodeCapacities: []int{4, 2},
	})
	if len(res.Nodes) != 2 {
		t.Fatalf("%d nodes reported, want 2", len(res.Nodes))
	}
	for i, want := range []struct{ capacity, calls int }{{4, 2}, {2, 1}} {
		n := res.Nodes[i]
		if n.ID == "" || n.Capacity != want.capacity || n.Calls != want.calls || n.Participants != want.calls ||
			n.Intact != want.calls || n.Recordings != want.calls || n.CPU <= 0 || n.CPUPerParticipantMin <= 0 {
			t.Errorf("node %d: %+v, want capacity %d and %d calls, each intact, its CPU measured", i, n, want.capacity, want.calls)
		}
	}
	if res.CallsHeld != 3 || res.Intact != 3 || res.ServerCPU != res.Nodes[0].CPU+res.Nodes[1].CPU {
		t.Errorf("held %d, intact %d, server cpu %s (nodes %s + %s)", res.CallsHeld, res.Intact, res.ServerCPU, res.Nodes[0].CPU, res.Nodes[1].CPU)
	}
	if !strings.Contains(res.Line(), " node="+res.Nodes[1].ID+":calls=1,capacity=2,") {
		t.Errorf("summary line %q", res.Line())
	}
}
