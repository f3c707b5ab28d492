package e2e

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
)

// TestSecondServerOnSameDataDirExits starts `callrec serve`, then a second
// one on the same data directory: the second exits at once with an error
// naming the directory and the first one's pid, and the first goes on
// serving. Once the first has stopped, a server starts on the directory with
// the same key.
func TestSecondServerOnSameDataDirExits(t *testing.T) {
	dataDir := t.TempDir()
	first := startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only"}})

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	second := exec.CommandContext(ctx, callrecBinary(t), "serve", "--data", dataDir, "--addr", freeAddr(t), "--ice-loopback-only")
	second.Env = childEnv()
	second.Stderr = &stderr
	err := second.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("second serve on the same data directory: %v, want a non-zero exit\nstderr:\n%s", err, stderr.String())
	}
	msg := stderr.String()
	for _, want := range []string{dataDir, "in use", "pid " + strconv.Itoa(first.cmd.Process.Pid)} {
		if !strings.Contains(msg, want) {
			t.Errorf("second serve's error does not say %q:\n%s", want, msg)
		}
	}

	client := newACSClient(t, first.ConnectionString(), "")
	client.CreateCall(t) // the first server still works, on its database
	first.Terminate(t)

	again := startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only"}})
	if again.ConnectionString() != strings.Replace(first.ConnectionString(), first.addr, again.addr, 1) {
		t.Errorf("restarted with connection string %q, first had %q", again.ConnectionString(), first.ConnectionString())
	}
	again.Terminate(t)
}

// TestDataDirIsPrivate starts `callrec serve` on a data directory that exists
// with modes other users can read (0755, a 0644 file, a 0755 subdirectory),
// records a tone and lists every mode under the directory, while recording
// and after: directories are 0700 and files 0600, whatever the umask.
func TestDataDirIsPrivate(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dataDir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dataDir, filepath.Join(dataDir, "old")} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dataDir, "old", "notes.txt"), []byte("left here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dataDir, "old", "notes.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A permissive umask for the server: its files must not depend on it.
	srv := func() *server {
		defer syscall.Umask(syscall.Umask(0))
		return startServer(t, serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only"}})
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	callID, recordingID := startRecordedCall(ctx, t, client, callautomation.RecordingChannelUnmixed)
	streamTone(ctx, t, srv.ConnectionString(), callID, 1500*time.Millisecond, nil)
	whileRecording := checkPrivate(t, dataDir)
	if !hasFile(whileRecording, "spool", ".wav") {
		t.Errorf("no spool chunk found while recording: %v", whileRecording)
	}
	stopFirstChunk(ctx, t, client, recordingID)
	after := checkPrivate(t, dataDir)
	for _, want := range [][2]string{{"recordings", "audio.wav"}, {"recordings", "acsmetadata.json"}, {"", "callrec.db-wal"}, {"", "access-key"}, {"", "lock"}} {
		if !hasFile(after, want[0], want[1]) {
			t.Errorf("no %s…%s under the data directory: %v", want[0], want[1], after)
		}
	}
}

// checkPrivate requires every directory under dir to be 0700 and every file
// 0600, and returns the files' paths relative to dir.
func checkPrivate(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temporary file renamed meanwhile
		}
		if err != nil {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files = append(files, rel)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s is %#o, want %#o", rel, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func hasFile(files []string, prefix, suffix string) bool {
	for _, f := range files {
		if strings.HasPrefix(f, prefix) && strings.HasSuffix(f, suffix) {
			return true
		}
	}
	return false
}
