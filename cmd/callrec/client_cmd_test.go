package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/callrec/callrec/internal/testserver"
)

// cliResult is what one in-process run of the CLI printed.
type cliResult struct {
	stdout, stderr string
	err            error
}

// runCLI runs the client commands in process, as main does, with
// CALLREC_CONNECTION_STRING set to cs (unless cs is empty).
func runCLI(t *testing.T, cs string, args ...string) cliResult {
	t.Helper()
	t.Setenv(connectionStringEnv, cs)
	root := newRootCmd()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		stderr.WriteString("callrec: " + err.Error() + "\n") // as main prints it
	}
	return cliResult{stdout.String(), stderr.String(), err}
}

// mustRun runs the CLI and fails the test unless it succeeded; it returns
// stdout.
func mustRun(t *testing.T, cs string, args ...string) string {
	t.Helper()
	r := runCLI(t, cs, args...)
	if r.err != nil {
		t.Fatalf("callrec %s: %v\nstderr: %s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

// singleLine returns s without its newline, failing unless it is exactly
// one line.
func singleLine(t *testing.T, what, s string) string {
	t.Helper()
	line, ok := strings.CutSuffix(s, "\n")
	if !ok || line == "" || strings.Contains(line, "\n") {
		t.Fatalf("%s printed %q, want one line", what, s)
	}
	return line
}

func TestCLIRecordingLifecycle(t *testing.T) {
	srv := testserver.Start(t)
	cs := srv.ConnectionString
	callID := singleLine(t, "call create", mustRun(t, cs, "call", "create"))
	id := singleLine(t, "recording start", mustRun(t, cs, "recording", "start", "--call", callID,
		"--content", "audio", "--channel", "unmixed", "--format", "wav",
		"--affinity", "0=8:acs:res_alice", "--affinity", "3=4:+14255550123",
		"--order", "8:orgid:carol", "--order", "8:acs:res_bob",
		"--callback", "http://127.0.0.1:9/events?a=1&b=2",
		"--pause-on-start", "--pause-behavior", "silence"))

	state := func(want string) {
		t.Helper()
		if got := singleLine(t, "state", mustRun(t, cs, "recording", "state", id)); got != want {
			t.Fatalf("state %q, want %q", got, want)
		}
	}
	state("inactive")
	if out := mustRun(t, cs, "recording", "resume", id); out != "" {
		t.Errorf("resume printed %q", out)
	}
	state("active")
	var st map[string]string
	if err := json.Unmarshal([]byte(mustRun(t, cs, "recording", "state", "--json", id)), &st); err != nil ||
		st["recordingId"] != id || st["recordingState"] != "active" || st["recordingKind"] == "" {
		t.Errorf("state --json: %v %v", st, err)
	}
	mustRun(t, cs, "recording", "pause", "--api-version", "2026-03-12", id)
	state("inactive")
	mustRun(t, cs, "recording", "stop", id)

	// The state route answers 404 for a stopped recording, as ACS's does;
	// the CLI tells it from an unknown one through the result.
	state("stopped")
	if err := json.Unmarshal([]byte(mustRun(t, cs, "recording", "state", "--json", id)), &st); err != nil || st["recordingState"] != "stopped" {
		t.Errorf("state --json after stop: %v %v", st, err)
	}
	r := runCLI(t, cs, "recording", "state", "bm8tc3VjaA==")
	if r.err == nil || r.stdout != "" || !strings.HasPrefix(r.stderr, "callrec: RecordingNotFound: ") || !strings.HasSuffix(r.stderr, " (HTTP 404)\n") {
		t.Errorf("state of an unknown recording: err %v stdout %q stderr %q", r.err, r.stdout, r.stderr)
	}

	var res struct {
		RecordingID          string `json:"recordingId"`
		RecordingStorageInfo struct {
			RecordingChunks []struct {
				ContentLocation, MetadataLocation, DeleteLocation string
			} `json:"recordingChunks"`
		} `json:"recordingStorageInfo"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, cs, "recording", "result", id)), &res); err != nil {
		t.Fatal(err)
	}
	if res.RecordingID != id {
		t.Fatalf("result %+v", res)
	}
	if len(res.RecordingStorageInfo.RecordingChunks) == 0 {
		t.Fatalf("no chunks in %+v", res)
	}
	chunk := res.RecordingStorageInfo.RecordingChunks[0]

	whole := mustRun(t, cs, "recording", "download", chunk.ContentLocation)
	if !strings.HasPrefix(whole, "RIFF") || whole[8:12] != "WAVE" {
		t.Fatalf("download to stdout is not a WAV file: %q", whole[:min(len(whole), 16)])
	}
	if got := mustRun(t, cs, "recording", "download", "--offset", "8", "--length", "4", chunk.ContentLocation); got != "WAVE" {
		t.Errorf("range download %q", got)
	}
	file := filepath.Join(t.TempDir(), "rec.wav")
	if out := mustRun(t, cs, "recording", "download", "-o", file, chunk.ContentLocation); out != "" {
		t.Errorf("download -o printed %q", out)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != whole {
		t.Errorf("file has %d bytes (%v), stdout had %d", len(b), err, len(whole))
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("download left %d files behind", len(entries))
	}
	meta := mustRun(t, cs, "recording", "download", chunk.MetadataLocation)
	if !json.Valid([]byte(meta)) {
		t.Errorf("metadata is not JSON: %q", meta)
	}
	mustRun(t, cs, "recording", "delete", chunk.DeleteLocation)
	missing := filepath.Join(t.TempDir(), "gone.wav")
	r = runCLI(t, cs, "recording", "download", "-o", missing, chunk.ContentLocation)
	if r.err == nil || !strings.Contains(r.stderr, "(HTTP 404)") {
		t.Errorf("download after delete: %v %q", r.err, r.stderr)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed download left %s behind", missing)
	}
}

func TestCLIStartValidationErrors(t *testing.T) {
	srv := testserver.Start(t)
	cs := srv.ConnectionString
	callID := singleLine(t, "call create", mustRun(t, cs, "call", "create"))
	cases := []struct {
		args   []string
		stderr []string
	}{
		{[]string{"--channel", "unmixed", "--format", "mp3"}, []string{"callrec: ", "recordingFormatType", "(HTTP 400)"}},
		{[]string{"--format", "flac"}, []string{"recordingFormatType", "(HTTP 400)"}},
		{[]string{"--channel", "unmixed", "--format", "wav", "--affinity", "7=8:acs:res_x"}, []string{"channelAffinity", "(HTTP 400)"}},
		{[]string{"--affinity", "zero=8:acs:res_x"}, []string{"--affinity", "CHANNEL=RAWID"}},
	}
	for _, c := range cases {
		r := runCLI(t, cs, append([]string{"recording", "start", "--call", callID}, c.args...)...)
		if r.err == nil || r.stdout != "" {
			t.Errorf("%v: err %v stdout %q", c.args, r.err, r.stdout)
			continue
		}
		for _, want := range c.stderr {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr %q lacks %q", c.args, r.stderr, want)
			}
		}
	}
	r := runCLI(t, cs, "recording", "start", "--call", "bm8tc3VjaA==")
	if r.err == nil || !strings.Contains(r.stderr, "CallNotFound") || !strings.Contains(r.stderr, "(HTTP 404)") {
		t.Errorf("unknown call: %q", r.stderr)
	}
	if r := runCLI(t, cs, "recording", "start"); r.err == nil || !strings.Contains(r.stderr, `"call"`) {
		t.Errorf("missing --call: %q", r.stderr)
	}
}

func TestCLICalls(t *testing.T) {
	srv := testserver.Start(t)
	cs := srv.ConnectionString
	const id = "Y2xpKy89PTp4"
	if got := singleLine(t, "call create --id", mustRun(t, cs, "call", "create", "--id", id)); got != id {
		t.Fatalf("created %q", got)
	}
	var call struct {
		ServerCallID string            `json:"serverCallId"`
		State        string            `json:"state"`
		Participants []json.RawMessage `json:"participants"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, cs, "call", "show", id)), &call); err != nil || call.ServerCallID != id || call.State != "active" {
		t.Fatalf("show: %+v %v", call, err)
	}
	mustRun(t, cs, "call", "end", id)
	if err := json.Unmarshal([]byte(mustRun(t, cs, "call", "show", id)), &call); err != nil || call.State != "ended" {
		t.Fatalf("show after end: %+v %v", call, err)
	}
	r := runCLI(t, cs, "call", "create", "--id", id)
	if r.err == nil || !strings.Contains(r.stderr, "CallAlreadyExists") || !strings.Contains(r.stderr, "(HTTP 409)") {
		t.Errorf("duplicate create: %q", r.stderr)
	}
}

func TestCLIConnectionString(t *testing.T) {
	srv := testserver.Start(t)
	// The flag wins over the environment.
	out := mustRun(t, "endpoint=http://127.0.0.1:1/;accesskey=a2V5", "call", "create", "--connection-string", srv.ConnectionString)
	singleLine(t, "create with --connection-string", out)
	r := runCLI(t, "", "call", "create")
	if r.err == nil || !strings.Contains(r.stderr, connectionStringEnv) {
		t.Errorf("no connection string: %q", r.stderr)
	}
	r = runCLI(t, "endpoint=ftp://x/;accesskey=a2V5", "call", "create")
	if r.err == nil || !strings.Contains(r.stderr, "invalid connection string") {
		t.Errorf("bad connection string: %q", r.stderr)
	}
}

// TestCLIMainProcess is the child process of TestCLIExitStatus: it runs
// main() with the arguments in CALLREC_TEST_MAIN_ARGS.
func TestCLIMainProcess(t *testing.T) {
	raw := os.Getenv("CALLREC_TEST_MAIN_ARGS")
	if raw == "" {
		t.Skip("only runs as TestCLIExitStatus's child process")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Args = append([]string{"callrec"}, args...)
	main()
	os.Exit(0)
}

// runMain runs the real main in a child process (TestCLIMainProcess) with
// args and the extra environment env, to see what a shell sees: stdout,
// stderr and the exit status.
func runMain(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := mainProcess(t, env, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// mainProcess prepares the child process of runMain without starting it.
func mainProcess(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCLIMainProcess$")
	cmd.Env = append(append(os.Environ(), "CALLREC_TEST_MAIN_ARGS="+string(a)), env...)
	return cmd
}

// TestCLIExitStatus: success exits 0, a failed command 1, and a command
// used wrongly (unknown command or flag, wrong arguments) 2, with a hint.
func TestCLIExitStatus(t *testing.T) {
	srv := testserver.Start(t)
	env := []string{connectionStringEnv + "=" + srv.ConnectionString}
	stdout, stderr, code := runMain(t, env, "call", "create")
	if code != 0 || strings.Count(stdout, "\n") != 1 || stderr != "" {
		t.Errorf("call create: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	stdout, stderr, code = runMain(t, env, "recording", "state", "bm8tc3VjaA==")
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "callrec: RecordingNotFound: ") || !strings.HasSuffix(stderr, "(HTTP 404)\n") {
		t.Errorf("state of unknown recording: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	misuse := []struct {
		args []string
		say  string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch" for "callrec"`},
		{[]string{"help", "nosuch"}, `unknown help topic "nosuch"`},
		{[]string{"help", "recording", "nosuch"}, `unknown help topic "recording nosuch"`},
		{[]string{"recording", "nosuch"}, `unknown command "nosuch" for "callrec recording"`},
		{[]string{"call", "lst"}, `unknown command "lst" for "callrec call"`},
		{[]string{"events", "nosuch"}, `unknown command "nosuch" for "callrec events"`},
		{[]string{"--nosuch"}, "unknown flag: --nosuch"},
		{[]string{"recording", "state", "--nosuch", "x"}, "unknown flag: --nosuch"},
		{[]string{"call", "list", "-z"}, "unknown shorthand flag: 'z'"},
		{[]string{"serve", "--nosuch"}, "unknown flag: --nosuch"},
		{[]string{"recording", "state"}, "accepts 1 arg(s), received 0"},
		{[]string{"call", "list", "extra"}, `unknown command "extra" for "callrec call list"`},
		{[]string{"recording", "list", "--state", "paused"}, `--state "paused": want active, inactive or stopped`},
		{[]string{"recording", "download", "cmVj"}, "needs -o DIR"},
		{[]string{"recording", "start"}, `required flag(s) "call" not set`},
		{[]string{"events", "subscribe", "--name", "x"}, `required flag(s) "url" not set`},
		{[]string{"simulate"}, "--call and at least one --participant"},
	}
	for _, m := range misuse {
		stdout, stderr, code := runMain(t, env, m.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "callrec: ") || !strings.Contains(stderr, m.say) || !strings.Contains(stderr, "--help' for usage.") {
			t.Errorf("callrec %s: exit %d stdout %q stderr %q; want exit 2 saying %q", strings.Join(m.args, " "), code, stdout, stderr, m.say)
		}
	}
	// A group alone shows its help and succeeds.
	stdout, _, code = runMain(t, env, "recording")
	if code != 0 || !strings.Contains(stdout, "Available Commands:") {
		t.Errorf("recording alone: exit %d stdout %q", code, stdout)
	}
	stdout, stderr, code = runMain(t, env, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "callrec ") || !strings.Contains(stdout, runtime.Version()) || stderr != "" {
		t.Errorf("--version: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

// TestVersionFromLinkerFlag: -ldflags "-X main.buildVersion=…" wins over
// the build information.
func TestVersionFromLinkerFlag(t *testing.T) {
	defer func(v string) { buildVersion = v }(buildVersion)
	buildVersion = "v1.2.3-test"
	if out := mustRun(t, "", "--version"); out != "callrec v1.2.3-test\n" {
		t.Errorf("--version printed %q", out)
	}
}
