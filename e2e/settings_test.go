package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeReadsEnvAndConfigFile starts `callrec serve` with no flags at all:
// the data directory, TLS and retry schedule come from a JSON config file,
// the listen address from CALLREC_ADDR, which must win over the file's
// "addr". The README promises exactly this precedence.
func TestServeReadsEnvAndConfigFile(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	config := map[string]any{
		"data":                   dataDir,
		"addr":                   "127.0.0.1:1", // overridden by CALLREC_ADDR
		"tls-self-signed":        true,
		"webhook-retry-schedule": []string{"1s", "2s"},
		"log-level":              "debug",
	}
	raw, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	configPath := filepath.Join(t.TempDir(), "callrec.json")
	if err := os.WriteFile(configPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, serverOptions{
		dataDir: dataDir,
		addr:    addr,
		env:     []string{"CALLREC_CONFIG=" + configPath, "CALLREC_ADDR=" + addr},
	})
	if want := "endpoint=https://" + addr + "/;accesskey="; !strings.HasPrefix(srv.ConnectionString(), want) {
		t.Fatalf("connection string %q, want prefix %q", srv.ConnectionString(), want)
	}
	ca := srv.CAFile(t)
	if filepath.Dir(filepath.Dir(ca)) != dataDir {
		t.Errorf("CA file %s is not under the configured data directory %s", ca, dataDir)
	}
	newACSClient(t, srv.ConnectionString(), ca).CreateCall(t)

	out, err := exec.Command(callrecBinary(t), "connection-string", "--data", dataDir).Output()
	if err != nil {
		t.Fatalf("callrec connection-string: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != srv.ConnectionString() {
		t.Errorf("callrec connection-string = %q, want what serve printed, %q", got, srv.ConnectionString())
	}
	srv.Terminate(t)
}

// TestREADMEConfigTableMatchesServeFlags keeps the README's configuration
// table true: every flag of `callrec serve --help` has a row with its
// CALLREC_ variable, and every flag in the table exists.
func TestREADMEConfigTableMatchesServeFlags(t *testing.T) {
	help, err := exec.Command(callrecBinary(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("callrec serve --help: %v\n%s", err, help)
	}
	flagRE := regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9-]+)`)
	flags := map[string]bool{}
	for _, m := range flagRE.FindAllSubmatch(help, -1) {
		if name := string(m[1]); name != "help" {
			flags[name] = true
		}
	}
	if len(flags) < 5 {
		t.Fatalf("found only %d flags in serve --help:\n%s", len(flags), help)
	}

	readme, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(readme, []byte("## Configuration"))
	if start < 0 {
		t.Fatal("README.md has no ## Configuration section")
	}
	section := readme[start:]
	if end := bytes.Index(section[3:], []byte("\n## ")); end >= 0 {
		section = section[:end+3]
	}
	var rows []string
	for _, line := range strings.Split(string(section), "\n") {
		if strings.HasPrefix(line, "| `--") {
			rows = append(rows, line)
		}
	}
	table := strings.Join(rows, "\n")

	for name := range flags {
		env := "CALLREC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if !strings.Contains(table, "`--"+name+"`") {
			t.Errorf("README configuration table has no row for --%s", name)
		}
		if !strings.Contains(table, "`"+env+"`") {
			t.Errorf("README configuration table does not name %s for --%s", env, name)
		}
	}
	for _, m := range regexp.MustCompile("`--([a-z0-9-]+)`").FindAllStringSubmatch(table, -1) {
		if !flags[m[1]] {
			t.Errorf("README configuration table lists --%s, which callrec serve does not have", m[1])
		}
	}
}
