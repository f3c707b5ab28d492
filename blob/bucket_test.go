package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/blob/storetest"
)

func TestDirBucketConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) blob.Store {
		b, err := blob.OpenDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	})
}

// fileblob writes an upload to "<key>.<hex>.tmp" beside the key and renames
// it on completion; List must not show (and a sweeper must not delete) it.
func TestDirBucketHidesUploadsInProgress(t *testing.T) {
	dir := t.TempDir()
	b, err := blob.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	os.MkdirAll(filepath.Join(dir, "doc"), 0o750)
	if err := os.WriteFile(filepath.Join(dir, "doc", "audio.wav.18eb70c706dd0fc6.tmp"), []byte("partial"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(context.Background(), "doc/acsmetadata.json", strings.NewReader("{}"), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := b.List(context.Background(), "", func(a blob.Attributes) error { keys = append(keys, a.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "doc/acsmetadata.json" {
		t.Fatalf("listed %v, want only doc/acsmetadata.json", keys)
	}
}
