package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/callrec/callrec/internal/azuritetest"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/internal/s3test"
)

// The callrec binary is built once per test process, into a directory that
// TestMain removes at the end.
var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  string
)

func TestMain(m *testing.M) {
	code := pgtest.MainLazy(m)
	s3test.Stop()
	azuritetest.Stop()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// prebuiltBinary names a callrec binary that a parent test process built
// (a test re-run in a network namespace uses it rather than building).
const prebuiltBinary = "E2E_CALLREC_BINARY"

// callrecBinary returns the path of a freshly built callrec binary
// (`go build ./cmd/callrec`, with -race when the tests have it).
func callrecBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		if p := os.Getenv(prebuiltBinary); p != "" {
			binaryPath = p
			return
		}
		binaryDir, binaryErr = os.MkdirTemp("", "callrec-e2e-bin-")
		if binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "callrec")
		args := []string{"build", "-o", binaryPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/callrec")
		cmd := exec.Command(goTool(), args...)
		cmd.Dir = moduleRoot(t)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			binaryErr = &buildError{err: err, output: out.String()}
		}
	})
	if binaryErr != nil {
		t.Fatalf("building callrec: %v", binaryErr)
	}
	return binaryPath
}

type buildError struct {
	err    error
	output string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.output }

// goTool is the go command that runs these tests.
func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// moduleRoot is the directory holding go.mod (the parent of e2e/).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod above %s: %v", wd, err)
	}
	return root
}
