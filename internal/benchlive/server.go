package benchlive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childServer is `callrec serve` run as a child process on loopback, with
// loopback-only ICE and a data directory of its own.
type childServer struct {
	cmd              *exec.Cmd
	connectionString string
	metricsURL       string // http://127.0.0.1:PORT, its --metrics-addr
	logFile          *os.File
	done             chan struct{} // closed when the process has exited
	waitErr          error
}

// startServer starts binary (a callrec executable) with `serve` on a free
// loopback port and waits for it to print its connection string.
func startServer(ctx context.Context, binary, dataDir string, extraArgs []string) (*childServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dataDir, "server.log"))
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--ice-loopback-only", "--log-level", "warn", "--sip-addr=",
		"--data", filepath.Join(dataDir, "data"), "--addr", "127.0.0.1:" + strconv.Itoa(port),
		"--metrics-addr", "127.0.0.1:" + strconv.Itoa(metricsPort)}, extraArgs...)
	cmd := exec.Command(binary, args...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	s := &childServer{cmd: cmd, metricsURL: "http://127.0.0.1:" + strconv.Itoa(metricsPort), logFile: logFile, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() { // owns stdout until the process exits
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if cs, ok := strings.CutPrefix(sc.Text(), "connection string: "); ok {
				select {
				case lines <- cs:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	select {
	case cs := <-lines:
		s.connectionString = cs
		return s, nil
	case <-s.done:
		logFile.Close()
		return nil, fmt.Errorf("callrec serve exited before it was ready: %v (log: %s)", s.waitErr, logFile.Name())
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	s.stop()
	return nil, errors.New("callrec serve did not print its connection string within 30 s")
}

func (s *childServer) pid() int { return s.cmd.Process.Pid }

// stop drains the server with SIGTERM, kills it after 20 s, and waits.
func (s *childServer) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.logFile.Close()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
