// Package s3test runs a real S3 server for a test package: versitygw
// (github.com/versity/versitygw, installed by .ci/run with
// `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0`) with its
// posix backend on a temporary directory, listening on 127.0.0.1 at a free
// port. It starts on the first test that asks for a bucket and stops when
// Main's tests end.
//
// When versitygw cannot be found or started, tests fail under CI=true and
// skip with the reason otherwise.
package s3test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/testservice"
)

// Credentials of the test server.
const (
	AccessKey = "callrectest"
	SecretKey = "callrectestsecret"
	Region    = "us-east-1"
)

var (
	shared = testservice.Lazy[*Server]{
		Name:    "versitygw (an S3 server)",
		Install: "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0",
		Start:   Start,
		// The S3 SDK's default chain reads these; the process's own stores
		// (blob.Open of s3:// URLs in tests) use them.
		Started: func(s *Server) {
			for k, v := range s.credentialEnv() {
				os.Setenv(k, v)
			}
		},
	}
	seq atomic.Int64
)

// Main runs the package's tests and stops the server if a test started
// it: call it from TestMain as os.Exit(s3test.Main(m)), or call Stop after
// m.Run.
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the package's server, if it was started.
func Stop() { shared.Stop() }

// Shared returns the package's server, starting it on first use; it skips
// the test (fails it under CI=true) when the server cannot start.
func Shared(t testing.TB) *Server {
	t.Helper()
	return shared.Get(t)
}

// Bucket creates a new, empty bucket on the package's server and returns
// its gocloud URL.
func Bucket(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	name := fmt.Sprintf("t%d-%d", os.Getpid(), seq.Add(1))
	if err := s.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
	return s.URL(name)
}

// Server is a running versitygw.
type Server struct {
	dir, bin, addr string
	cmd            *exec.Cmd
	done           chan error
}

// Start starts versitygw on a new temporary directory.
func Start() (*Server, error) {
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "s3test-")
	if err != nil {
		return nil, err
	}
	port, err := testservice.FreePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	if err := os.Mkdir(filepath.Join(dir, "root"), 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// start runs the server process and waits until it listens.
func (s *Server) start() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "versitygw.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(s.bin, "--port", s.addr, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"posix", filepath.Join(s.dir, "root"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	s.cmd, s.done = cmd, done
	err = testservice.WaitListening("versitygw", s.addr, time.Minute, done, func() []byte {
		out, _ := os.ReadFile(filepath.Join(s.dir, "versitygw.log"))
		return out
	})
	if err != nil {
		s.Kill()
	}
	return err
}

// Endpoint is the server's base URL.
func (s *Server) Endpoint() string { return "http://" + s.addr }

// URL is the gocloud URL of bucket name (credentials come from Env).
func (s *Server) URL(name string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint())
	q.Set("region", Region)
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	return "s3://" + name + "?" + q.Encode()
}

// Env is the environment a process needs to reach the server with the S3
// SDK's default credential chain.
func (s *Server) Env() []string {
	var env []string
	for k, v := range s.credentialEnv() {
		env = append(env, k+"="+v)
	}
	return env
}

func (s *Server) credentialEnv() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":         AccessKey,
		"AWS_SECRET_ACCESS_KEY":     SecretKey,
		"AWS_REGION":                Region,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

// CreateBucket makes an empty bucket: with the posix backend, a top-level
// directory of the server's root.
func (s *Server) CreateBucket(name string) error {
	return os.Mkdir(filepath.Join(s.dir, "root", name), 0o700)
}

// Kill stops the server at once (SIGKILL), as an outage would; Restart
// starts it again on the same directory and port, with its buckets.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts a killed server again.
func (s *Server) Restart() error {
	if s.cmd != nil {
		return errors.New("s3test: server is running")
	}
	return s.start()
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	if s.cmd != nil {
		s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
		s.cmd = nil
	}
	return os.RemoveAll(s.dir)
}

// findBinary looks for versitygw on PATH, then in GOBIN and GOPATH/bin
// (where go install puts it).
func findBinary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(string(trimNL(out))) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found on PATH, in GOBIN or in GOPATH/bin")
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
