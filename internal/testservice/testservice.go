// Package testservice holds what the helpers that run a real server for
// tests share (internal/pgtest, internal/s3test, internal/azuritetest): a
// free port on 127.0.0.1, waiting for a process to listen, one server per
// test package started on first use, and skipping (or failing under
// CI=true) when a server cannot run.
package testservice

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// FreePort returns a TCP port free on 127.0.0.1 now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitListening waits until addr accepts TCP connections. exited reports
// the process's end; readLog gives its output for the error.
func WaitListening(name, addr string, timeout time.Duration, exited <-chan error, readLog func() []byte) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("%s exited: %v\n%s", name, err, readLog())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not listen on %s within %v", name, addr, timeout)
		}
	}
}

// Unavailable fails the test under CI=true and skips it otherwise, saying
// what is missing and how to install it.
func Unavailable(t testing.TB, what, install string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", what, err)
	}
	t.Skipf("%s not available (%s): %v", what, install, err)
}

// Stopper is a server that can be stopped.
type Stopper interface{ Stop() error }

// Lazy is one server per test package, started by the first test that
// asks for it and stopped by Stop (from TestMain, after m.Run).
type Lazy[S Stopper] struct {
	Name, Install string
	// Start starts the server; Started, if set, runs once it has.
	Start   func() (S, error)
	Started func(S)

	once sync.Once
	s    S
	err  error
	ok   bool
}

// Get returns the server, starting it on first use; it skips the test
// (fails it under CI=true) when the server cannot start.
func (l *Lazy[S]) Get(t testing.TB) S {
	t.Helper()
	l.once.Do(func() {
		l.s, l.err = l.Start()
		if l.err == nil {
			l.ok = true
			if l.Started != nil {
				l.Started(l.s)
			}
		}
	})
	if l.err != nil {
		Unavailable(t, l.Name, l.Install, l.err)
	}
	if !l.ok {
		Unavailable(t, l.Name, l.Install, errors.New("not started"))
	}
	return l.s
}

// Stop stops the server if it was started.
func (l *Lazy[S]) Stop() {
	if l.ok {
		if err := l.s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", l.Name, err)
		}
	}
}
