package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWrite replaces a file with the mode asked whatever the umask and a
// temporary file a crash left (0644); a write that fails (the target is a
// directory) leaves the target as it was and no temporary file.
func TestWrite(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path+".tmp", []byte("left by a crash"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"one\n", "two\n"} {
		if err := Write(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != content {
			t.Fatalf("content %q, %v; want %q", b, err, content)
		}
		info, _ := os.Stat(path)
		if info.Mode().Perm() != 0o600 {
			t.Errorf("mode %#o, want 0600", info.Mode().Perm())
		}
	}
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Write(sub, []byte("x"), 0o600); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	if info, err := os.Stat(sub); err != nil || !info.IsDir() {
		t.Errorf("the target after a failed write: %v, %v", info, err)
	}
	if _, err := os.Stat(sub + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file after a failed write: %v", err)
	}
}
