package blob_test

import (
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/callrec/callrec/blob"
)

// TestDirBucketIsPrivate stores an object under a permissive umask: the
// bucket's directories are 0700 and its files (the object and fileblob's
// attributes beside it) 0600.
func TestDirBucketIsPrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	dir := filepath.Join(t.TempDir(), "recordings")
	b, err := blob.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Put(t.Context(), "doc/audio.wav", strings.NewReader("RIFF"), blob.PutOptions{
		ContentType: "audio/wav", Metadata: map[string]string{"sha256": "x"},
	}); err != nil {
		t.Fatal(err)
	}
	var files int
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s is %#o, want %#o", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 2 {
		t.Errorf("%d files, want the object and its attributes", files)
	}
}
