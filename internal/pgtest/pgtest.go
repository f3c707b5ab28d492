// Package pgtest runs a throwaway PostgreSQL server for a test package: the
// Debian binaries (initdb, pg_ctl) on a temporary directory, listening on
// 127.0.0.1 at a free port and on a unix socket in that directory, started
// once in TestMain (Main), or by the first test that needs it (MainLazy),
// and stopped when the package's tests end. Each test gets a database of
// its own.
//
// When run as root, the server runs as the postgres user (initdb refuses
// root). When PostgreSQL cannot be started, tests fail under CI=true and
// skip with the reason otherwise.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/callrec/callrec/internal/testservice"
)

var (
	server    *Server
	startErr  error
	dbSeq     atomic.Int64
	lazy      bool      // MainLazy: the first NewDatabase starts the server
	startOnce sync.Once // of a lazy start
)

// Main starts a server, runs the package's tests and stops it: call it from
// TestMain as os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	server, startErr = Start()
	code := m.Run()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// MainLazy is Main for a package where few tests need PostgreSQL: the
// first NewDatabase starts the server (once), so that the package's
// other tests do not wait for it; it is stopped when the tests end.
func MainLazy(m *testing.M) int {
	lazy = true
	code := m.Run()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// StartServer starts a server of the test's own (one it may stop), stopped
// after the test if still running; it skips or fails as NewDatabase does
// when PostgreSQL cannot start.
func StartServer(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// unavailable fails the test under CI=true and skips it otherwise.
func unavailable(t testing.TB, err error) {
	t.Helper()
	testservice.Unavailable(t, "PostgreSQL", "install Debian's postgresql to run this test", err)
}

// NewDatabase creates an empty schema on the package's server and returns
// a connection string whose search_path is that schema alone, so that each
// test has a database of its own (a schema is much quicker to create than
// a database); the schema is dropped after the test. It skips
// the test (fails it under CI=true) when the server could not start.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if lazy {
		startOnce.Do(func() { server, startErr = Start() })
	}
	if server == nil {
		err := startErr
		if err == nil {
			err = errors.New("neither pgtest.Main nor pgtest.MainLazy was called from TestMain")
		}
		unavailable(t, err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := server.exec(t.Context(), "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := server.exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("dropping test schema: %v", err)
		}
	})
	return server.DSN() + "&search_path=" + name
}

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir, bin string
	port     int
	asUser   []string // runuser prefix when running as root
	stopped  bool
}

// Start initialises a cluster in a new temporary directory and starts it.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	// As root, under /tmp whatever TMPDIR says: the postgres user must be
	// able to reach the directory (not under /root), and the unix socket's
	// path must stay short.
	base := ""
	if os.Geteuid() == 0 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	port, err := testservice.FreePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.port = port
	data := filepath.Join(dir, "data")
	if err := s.run(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", s.port, s.dir)
	return s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start")
}

// Halt stops the server and keeps its data, for a test of a database
// outage; Resume starts it again on the same port.
func (s *Server) Halt() error {
	return s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "-t", "60", "stop")
}

// Resume starts a halted server again.
func (s *Server) Resume() error { return s.start() }

// DSN is the connection string of s's postgres database, over TCP on
// 127.0.0.1.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Stop stops the server and removes its directory; stopping a stopped
// server does nothing.
func (s *Server) Stop() error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	err := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "-t", "60", "stop")
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *Server) exec(ctx context.Context, query string) error {
	db, err := sql.Open("pgx", s.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, query)
	return err
}

func (s *Server) run(name string, args ...string) error {
	argv := append(append([]string{}, s.asUser...), name)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
	}
	return nil
}

// findBin finds the newest installed server version's bin directory
// (Debian: /usr/lib/postgresql/<major>/bin), or one on PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb in /usr/lib/postgresql/*/bin or on PATH")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}
