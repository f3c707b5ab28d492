// Package azuritetest runs Azurite, the Azure Storage emulator (npm
// azurite 3.37.0, blob service only), for a test package: in memory,
// listening on 127.0.0.1 at a free port, telemetry off. It starts on the
// first test that asks for a container and stops when Main's tests end.
// .ci/run installs it (npm ci in internal/azuritetest/npm); so does
// scripts/test when it is missing.
//
// When Azurite cannot be found or started, tests fail under CI=true and
// skip with the reason otherwise.
package azuritetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/callrec/callrec/internal/testservice"
)

// Account and Key are Azurite's well-known development account.
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// CustomerAccount and CustomerKey are a second account on the same server,
// with a key of its own: a customer's storage, apart from callrec's (tests
// of bring-your-own-storage).
const (
	CustomerAccount = "customer1"
	CustomerKey     = "Y2FsbHJlYy10ZXN0LWN1c3RvbWVyLWFjY291bnQta2V5LWNhbGxyZWMtdGVzdC1jdXN0b21lci1hY2NvdW50IQ=="
)

var (
	shared = testservice.Lazy[*Server]{
		Name:    "Azurite (the Azure Storage emulator)",
		Install: "npm ci in internal/azuritetest/npm",
		Start:   Start,
		// gocloud's azureblob driver reads these.
		Started: func(s *Server) {
			for k, v := range s.credentialEnv() {
				os.Setenv(k, v)
			}
		},
	}
	seq atomic.Int64
)

// Main runs the package's tests and stops the server if a test started
// it: call it from TestMain as os.Exit(azuritetest.Main(m)), or call Stop
// after m.Run.
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the package's server, if it was started.
func Stop() { shared.Stop() }

// Shared returns the package's server, starting it on first use; it skips
// the test (fails it under CI=true) when Azurite cannot start.
func Shared(t testing.TB) *Server {
	t.Helper()
	return shared.Get(t)
}

// Container creates a new, empty container on the package's server and
// returns its gocloud URL.
func Container(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	name := NewName()
	if err := s.CreateContainer(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	return s.URL(name)
}

// NewName returns a container name not used before in this process.
func NewName() string { return fmt.Sprintf("t%d-%d", os.Getpid(), seq.Add(1)) }

// Server is a running Azurite blob service.
type Server struct {
	addr string
	cmd  *exec.Cmd
	done chan error
	log  string
}

// Start starts Azurite's blob service.
func Start() (*Server, error) {
	bin := filepath.Join(npmDir(), "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("azurite not installed: %w", err)
	}
	port, err := testservice.FreePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp("", "azurite-*.log")
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	s := &Server{addr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan error, 1), log: logf.Name()}
	s.cmd = exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port), "--inMemoryPersistence",
		"--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Env = append(os.Environ(), "AZURITE_ACCOUNTS="+Account+":"+Key+";"+CustomerAccount+":"+CustomerKey)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		os.Remove(s.log)
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait() }()
	err = testservice.WaitListening("azurite", s.addr, time.Minute, s.done, func() []byte {
		out, _ := os.ReadFile(s.log)
		return out
	})
	if err != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		os.Remove(s.log)
		return nil, err
	}
	return s, nil
}

// npmDir is the directory of the package.json that installs Azurite,
// beside this file.
func npmDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "npm")
}

// ServiceURL is the blob service's URL for the development account.
func (s *Server) ServiceURL() string { return "http://" + s.addr + "/" + Account }

// ContainerURL is a container's URL, as ACS's
// recordingDestinationContainerUrl names one.
func (s *Server) ContainerURL(name string) string { return s.ServiceURL() + "/" + name }

// URL is the gocloud URL of container name (credentials come from Env).
func (s *Server) URL(name string) string {
	q := url.Values{}
	q.Set("localemu", "true")
	q.Set("domain", s.addr)
	q.Set("protocol", "http")
	return "azblob://" + name + "?" + q.Encode()
}

// Env is the environment a process needs to reach the server through
// gocloud's azureblob driver.
func (s *Server) Env() []string {
	var env []string
	for k, v := range s.credentialEnv() {
		env = append(env, k+"="+v)
	}
	return env
}

func (s *Server) credentialEnv() map[string]string {
	return map[string]string{"AZURE_STORAGE_ACCOUNT": Account, "AZURE_STORAGE_KEY": Key}
}

// Client returns a client of container name with the account's key.
func (s *Server) Client(name string) (*container.Client, error) {
	cred, err := azblob.NewSharedKeyCredential(Account, Key)
	if err != nil {
		return nil, err
	}
	return container.NewClientWithSharedKeyCredential(s.ContainerURL(name), cred, nil)
}

// CustomerContainerURL is a container's URL in CustomerAccount.
func (s *Server) CustomerContainerURL(name string) string {
	return "http://" + s.addr + "/" + CustomerAccount + "/" + name
}

// CustomerContainer creates a new, empty container in CustomerAccount and
// returns its URL (as ACS's recordingDestinationContainerUrl names one)
// and a client of it with the account's key.
func CustomerContainer(t testing.TB) (string, *container.Client) {
	t.Helper()
	s := Shared(t)
	u := s.CustomerContainerURL(NewName())
	cred, err := azblob.NewSharedKeyCredential(CustomerAccount, CustomerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := container.NewClientWithSharedKeyCredential(u, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	return u, c
}

// CreateContainer creates an empty container.
func (s *Server) CreateContainer(ctx context.Context, name string) error {
	c, err := s.Client(name)
	if err != nil {
		return err
	}
	_, err = c.Create(ctx, nil)
	return err
}

// Stop stops Azurite (SIGINT: it lingers on SIGTERM).
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.cmd = nil
	return os.Remove(s.log)
}
