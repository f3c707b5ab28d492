package benchlive

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/pgtest"
)

// buildCallrec builds the callrec executable that Run starts as the
// server.
func buildCallrec(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "callrec")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/callrec/callrec/cmd/callrec")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build callrec: %v\n%s", err, out)
	}
	return bin
}

// TestLiveOneCallTwoParticipants runs the whole benchmark small: a child
// `callrec serve`, one call of two participants over WebRTC on loopback
// (or two phones over SIP) for 3 s, its recording downloaded and checked
// by content.
func TestLiveOneCallTwoParticipants(t *testing.T) {
	if testing.Short() {
		t.Skip("builds callrec and runs a real call")
	}
	bin := buildCallrec(t)
	for _, tc := range []struct {
		name      string
		unmixed   bool
		transport string
	}{{"mixed", false, TransportWebRTC}, {"unmixed", true, TransportWebRTC}, {"sip-mixed", false, TransportSIP}} {
		unmixed := tc.unmixed
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var progress strings.Builder
			res, err := Run(ctx, Config{
				Calls: 1, Participants: 2, Hold: 3 * time.Second, Unmixed: unmixed, Transport: tc.transport,
				Binary: bin, WorkDir: t.TempDir(), Progress: &progress, Warmup: time.Second, FloorRuns: 1,
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, progress.String())
			}
			var report strings.Builder
			res.Report(&report)
			t.Log("\n" + report.String())
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
		t.Skip("builds callrec and runs real calls")
	}
	pg := pgtest.StartServer(t)
	bin := buildCallrec(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var progress strings.Builder
	res, err := Run(ctx, Config{
		Calls: 3, Participants: 1, Hold: 3 * time.Second, Nodes: 2, Database: pg.DSN(), NodeCapacities: []int{4, 2},
		Binary: bin, WorkDir: t.TempDir(), Progress: &progress, Warmup: time.Second, FloorRuns: 1,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	var report strings.Builder
	res.Report(&report)
	t.Log("\n" + report.String())
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
