package app_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestNewRefusesALockedDataDir opens a node and then a second one on the
// same data directory: the second is refused with a coded error naming the
// directory and the holder's pid. Once the first is closed, the directory
// opens again.
func TestNewRefusesALockedDataDir(t *testing.T) {
	cfg := app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}
	first, err := app.New(t.Context(), cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	second, err := app.New(t.Context(), cfg, quietLog())
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second node opened a data directory in use")
	}
	if callrec.CodeOf(err) != app.CodeDataDirInUse {
		t.Errorf("code %q, want %q (%v)", callrec.CodeOf(err), app.CodeDataDirInUse, err)
	}
	for _, want := range []string{cfg.DataDir, "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// The refused node left the running one's files alone.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "access-key")); err != nil {
		t.Errorf("access key after the refused start: %v", err)
	}
	first.Close()
	again, err := app.New(t.Context(), cfg, quietLog())
	if err != nil {
		t.Fatalf("after the first node closed: %v", err)
	}
	if again.AccessKey != first.AccessKey {
		t.Error("the access key changed")
	}
	again.Close()
}

// TestFailedStartLeavesNoHalfMadeNode fails New after it generated the access
// key (an unreadable subscriptions file): a data directory New created is
// gone, and in a directory that existed without a key no key remains; a
// directory that had a key keeps it.
func TestFailedStartLeavesNoHalfMadeNode(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "subscriptions.json")
	if err := os.WriteFile(bad, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(dir string) error {
		a, err := app.New(t.Context(), app.Config{DataDir: dir, Addr: "127.0.0.1:0", SubscriptionsFile: bad}, quietLog())
		if err == nil {
			a.Close()
			t.Fatal("New succeeded with a broken subscriptions file")
		}
		return err
	}

	fresh := filepath.Join(t.TempDir(), "new")
	start(fresh)
	if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the data directory a failed start created is still there: %v", err)
	}

	empty := t.TempDir()
	start(empty)
	if _, err := os.Stat(filepath.Join(empty, "access-key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed start left a new access key: %v", err)
	}
	if _, err := os.Stat(empty); err != nil {
		t.Errorf("a directory that existed before was removed: %v", err)
	}

	kept := t.TempDir()
	a, err := app.New(t.Context(), app.Config{DataDir: kept, Addr: "127.0.0.1:0"}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	key := a.AccessKey
	a.Close()
	start(kept)
	b, err := os.ReadFile(filepath.Join(kept, "access-key"))
	if err != nil || strings.TrimSpace(string(b)) != key {
		t.Errorf("the existing key after a failed start: %q, %v", b, err)
	}
	matches, _ := filepath.Glob(filepath.Join(kept, "*.tmp"))
	if len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}
