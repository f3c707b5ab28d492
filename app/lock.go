package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/callrec/callrec"
)

// lockFile is the file in the data directory that one node holds an
// exclusive lock on for as long as it runs.
const lockFile = "lock"

// CodeDataDirInUse is the code of the error New returns when another node
// holds the data directory.
const CodeDataDirInUse = "DataDirectoryInUse"

// dirLock is a held data-directory lock. The kernel releases it when the
// process exits, however it exits (kill -9 included).
type dirLock struct{ f *os.File }

// lockDataDir takes the exclusive lock of dataDir without waiting. If another
// process holds it, the error names the directory and, when it is known, the
// holder's pid. The lock file holds the pid of its holder.
func lockDataDir(dataDir string) (*dirLock, error) {
	path := filepath.Join(dataDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking data directory %s: %w", dataDir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := ""
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
					holder = fmt.Sprintf(" (pid %d)", pid)
				}
			}
			return nil, callrec.Errorf(callrec.KindConflict, CodeDataDirInUse,
				"data directory %s is in use by another callrec server%s; stop it or choose another --data", dataDir, holder)
		}
		return nil, fmt.Errorf("locking data directory %s: %w", dataDir, err)
	}
	// The pid is informative only: a full disk must not keep the node from
	// starting, so failing to write it is not an error.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release gives the lock up. The lock file stays: removing it would let a
// node starting meanwhile lock a file that the next one no longer sees.
func (l *dirLock) release() {
	if l == nil {
		return
	}
	_ = l.f.Truncate(0)
	l.f.Close()
}
