package sip_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSippEdgeCases runs sipp (Debian sip-tester) as the phone for edge
// cases, one scenario each in testdata/sipp: sipp checks the answers and
// exits 0 when the scenario completed.
func TestSippEdgeCases(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sipp is required in CI: %v", err)
		}
		t.Skip("sipp not installed (apt-get install sip-tester)")
	}
	n := startNode(t)
	callID := n.createCall(t)
	scenarios, err := filepath.Glob(filepath.Join("testdata", "sipp", "*.xml"))
	if err != nil || len(scenarios) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, sc := range scenarios {
		t.Run(filepath.Base(sc), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.CommandContext(t.Context(), sipp, "-sf", sc, "-s", callID, "-m", "1",
				"-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-timeout", "20s", "-timeout_error",
				"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
				"127.0.0.1:"+strconv.Itoa(int(n.sip.Port())))
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
				t.Fatalf("sipp: %v\n%s\n%s", err, out, errs)
			}
		})
	}
}
