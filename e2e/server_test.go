package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/hmacauth"
)

// startTimeout bounds how long a server may take to print its connection
// string (a -race binary migrating a new SQLite database on a busy CI box).
const startTimeout = 90 * time.Second

// serverOptions says how to start `callrec serve`.
type serverOptions struct {
	dataDir string   // reused across restarts; empty means a new temp dir
	addr    string   // 127.0.0.1:port; empty means a free port
	tls     bool     // --tls-self-signed
	args    []string // extra flags
	// env, when set, is added to the environment and --data, --addr and
	// --tls-self-signed are not passed as flags: the settings must then come
	// from env (CALLREC_*) or a config file, and dataDir and addr only tell
	// the test where to look.
	env []string
}

// server is one running `callrec serve` process. Its reader goroutine owns
// stdout and reaps the process; done is closed when the process has exited.
type server struct {
	dataDir    string
	addr       string
	stderrPath string
	cmd        *exec.Cmd

	ready chan struct{} // closed when the connection string was printed
	done  chan struct{} // closed when the process has exited

	mu               sync.Mutex
	connectionString string
	caFile           string
	stdout           []string
	exitErr          error
}

// startServer starts `callrec serve` and waits until it printed its
// connection string and accepts TCP connections. The process is killed when
// the test ends if it is still running.
func startServer(t *testing.T, opts serverOptions) *server {
	t.Helper()
	bin := callrecBinary(t)
	if opts.dataDir == "" {
		opts.dataDir = t.TempDir()
	}
	if opts.addr == "" {
		opts.addr = freeAddr(t)
	}
	// No SIP: servers of parallel tests would share its default port. The
	// tests record audio and name no format: WAV, as an audio-only
	// installation (--default-format wav).
	args := []string{"serve", "--sip-addr=", "--default-format=wav"}
	if opts.env == nil {
		args = append(args, "--data", opts.dataDir, "--addr", opts.addr)
		if opts.tls {
			args = append(args, "--tls-self-signed")
		}
	}
	args = append(args, opts.args...)

	logDir := t.TempDir()
	stderr, err := os.CreateTemp(logDir, "serve-stderr-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()

	s := &server{
		dataDir:    opts.dataDir,
		addr:       opts.addr,
		stderrPath: stderr.Name(),
		ready:      make(chan struct{}),
		done:       make(chan struct{}),
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(childEnv(), opts.env...)
	s.cmd.Stderr = stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s %s: %v", bin, strings.Join(args, " "), err)
	}
	go s.readStdoutAndWait(bufio.NewScanner(stdout))
	t.Cleanup(func() {
		if s.running() {
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
			<-s.done
		}
		if t.Failed() {
			t.Logf("callrec serve stdout:\n%s", strings.Join(s.stdoutLines(), "\n"))
			t.Logf("callrec serve stderr (last lines):\n%s", tailFile(s.stderrPath, 60))
		}
	})

	select {
	case <-s.ready:
	case <-s.done:
		t.Fatalf("callrec serve exited before printing its connection string: %v\nstderr:\n%s",
			s.exitError(), tailFile(s.stderrPath, 60))
	case <-time.After(startTimeout):
		t.Fatalf("callrec serve printed no connection string within %s\nstderr:\n%s",
			startTimeout, tailFile(s.stderrPath, 60))
	}
	s.waitListening(t)
	return s
}

// readStdoutAndWait records stdout lines, notes the connection string and
// CA file, then reaps the process. It returns when the process has exited.
func (s *server) readStdoutAndWait(sc *bufio.Scanner) {
	readyOnce := sync.OnceFunc(func() { close(s.ready) })
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.stdout = append(s.stdout, line)
		if v, ok := strings.CutPrefix(line, "connection string: "); ok {
			s.connectionString = strings.TrimSpace(v)
			readyOnce()
		}
		if v, ok := strings.CutPrefix(line, "ca: "); ok {
			s.caFile = strings.TrimSpace(v)
		}
		s.mu.Unlock()
	}
	err := s.cmd.Wait()
	s.mu.Lock()
	s.exitErr = err
	s.mu.Unlock()
	close(s.done)
}

// waitListening polls until the server's address accepts connections.
func (s *server) waitListening(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if !s.running() {
			t.Fatalf("callrec serve exited: %v\nstderr:\n%s", s.exitError(), tailFile(s.stderrPath, 60))
		}
		if time.Now().After(deadline) {
			t.Fatalf("callrec serve printed its connection string but does not accept connections on %s: %v", s.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *server) exitError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitErr
}

func (s *server) stdoutLines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stdout...)
}

// ConnectionString is what the server printed on stdout.
func (s *server) ConnectionString() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectionString
}

// CAFile is the CA certificate the server printed (or its documented place
// under the data directory); empty when the server is not on TLS.
func (s *server) CAFile(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	ca := s.caFile
	s.mu.Unlock()
	if ca == "" {
		ca = filepath.Join(s.dataDir, "tls", "ca.pem")
	}
	if _, err := os.Stat(ca); err != nil {
		t.Fatalf("the server's CA certificate: %v (stdout: %q)", err, s.stdoutLines())
	}
	return ca
}

// Endpoint parses the connection string's endpoint.
func (s *server) Endpoint(t *testing.T) *url.URL {
	t.Helper()
	cs, err := hmacauth.ParseConnectionString(s.ConnectionString())
	if err != nil {
		t.Fatalf("connection string %q: %v", s.ConnectionString(), err)
	}
	return cs.Endpoint
}

// Terminate sends SIGTERM and requires a clean exit (status 0) in time.
func (s *server) Terminate(t *testing.T) {
	t.Helper()
	sent := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	defer func() { t.Logf("callrec serve exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond)) }()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("callrec serve did not exit within 30s of SIGTERM\nstderr:\n%s", tailFile(s.stderrPath, 60))
	}
	if err := s.exitError(); err != nil {
		t.Fatalf("callrec serve after SIGTERM: %v (want exit status 0)\nstderr:\n%s", err, tailFile(s.stderrPath, 60))
	}
}

// WaitForLog waits until the server's stderr holds substr at least n times.
// It only paces a test: after the timeout it logs and returns.
func (s *server) WaitForLog(t *testing.T, substr string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(s.stderrPath)
		if strings.Count(string(b), substr) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("the server did not log %q %d times within %s; going on", substr, n, timeout)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *server) Kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-s.done
	var exitErr *exec.ExitError
	if err := s.exitError(); !errors.As(err, &exitErr) {
		t.Fatalf("after SIGKILL, want a killed process, got %v", err)
	}
}

// childEnv is this process's environment without CALLREC_* variables, so a
// developer's own settings cannot change what the test starts.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CALLREC_") {
			env = append(env, kv)
		}
	}
	return env
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tailFile returns the last n lines of a file, for failure messages.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
