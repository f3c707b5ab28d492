package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sdkVersions are the official JS SDK versions installed in e2e/jssdk.
var sdkVersions = []string{"1.5.1", "1.6.0"}

// requireJSSDK returns the absolute path of e2e/jssdk once node and the
// installed SDKs are there. Without them it skips, except in CI (CI=true),
// where a missing SDK is a failure: the acceptance test must run there.
func requireJSSDK(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("jssdk")
	if err != nil {
		t.Fatal(err)
	}
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else {
		for _, pkg := range []string{"@azure/communication-call-automation", "call-automation-1.5.1"} {
			if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
				missing = "e2e/jssdk/node_modules/" + pkg + " is missing (run `npm ci` in e2e/jssdk, or scripts/test)"
				break
			}
		}
	}
	if missing == "" {
		return dir
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but the JS SDK acceptance test cannot run: %s", missing)
	}
	t.Skipf("skipping the official JS SDK acceptance test: %s", missing)
	return ""
}

// nodeRun describes one run of a script in e2e/jssdk.
type nodeRun struct {
	dir    string   // e2e/jssdk
	script string   // e.g. scenario.mjs
	args   []string // script arguments
	env    []string // extra KEY=VALUE
	stdin  []byte
}

// run executes the script and returns its stdout; a non-zero exit fails the
// test with the script's stderr, which says which expectation broke.
func (r nodeRun) run(t *testing.T) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{r.script}, r.args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(childEnv(), r.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if r.stdin != nil {
		cmd.Stdin = bytes.NewReader(r.stdin)
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s %s: %v\nstderr:\n%s\nstdout:\n%s", r.script, strings.Join(r.args, " "), err, stderr.String(), stdout.String())
	}
	t.Logf("node %s %s:\n%s", r.script, strings.Join(r.args, " "), stderr.String())
	return stdout.Bytes()
}

// runJSON runs the script and decodes the last line of its stdout into v.
func (r nodeRun) runJSON(t *testing.T, v any) {
	t.Helper()
	out := bytes.TrimSpace(r.run(t))
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("node %s: last stdout line is not the JSON report: %v\n%s", r.script, err, out)
	}
}
