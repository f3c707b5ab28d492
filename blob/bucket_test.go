package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/blob/storetest"
	"github.com/callrec/callrec/internal/azuritetest"
	"github.com/callrec/callrec/internal/s3test"
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

func TestS3BucketConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) blob.Store {
		return openURL(t, s3test.Bucket(t))
	})
}

func TestAzureBlobConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) blob.Store {
		return openURL(t, azuritetest.Container(t))
	})
}

func TestFileURLConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) blob.Store {
		return openURL(t, "file://"+filepath.ToSlash(t.TempDir()))
	})
}

func openURL(t *testing.T, url string) blob.Store {
	t.Helper()
	b, err := blob.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
