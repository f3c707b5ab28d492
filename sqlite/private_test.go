package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/callrec/callrec"
)

// TestDatabaseFilesArePrivate opens a database under a permissive umask, and
// one whose files exist readable by everyone: the database and its -wal and
// -shm files are 0600 either way.
func TestDatabaseFilesArePrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	check := func(path string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != 0o600 {
				t.Errorf("%s is %#o, want 0600", filepath.Base(p), got)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "callrec.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCall(t.Context(), &callrec.Call{ServerCallID: "c1", State: callrec.CallActive}); err != nil {
		t.Fatal(err)
	}
	check(path)
	db.Close()

	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644) // no truncation: keeps the database
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(path)
	if _, err := db.Call(t.Context(), "c1"); err != nil {
		t.Errorf("the call after reopening: %v", err)
	}
}
