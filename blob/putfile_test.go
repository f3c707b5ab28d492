package blob_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/callrec/callrec/blob"
)

// TestPutFileLinksIntoALocalBucket stores a local file with PutFile: the
// object reads back with its attributes, shares the file's inode (no copy),
// stays when the source is removed, and is listed once.
func TestPutFileLinksIntoALocalBucket(t *testing.T) {
	dir := t.TempDir()
	b, err := blob.OpenDir(filepath.Join(dir, "bucket"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	src := filepath.Join(dir, "chunk.wav")
	if err := os.WriteFile(src, []byte("RIFF and samples"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := blob.PutOptions{ContentType: "audio/wav", Metadata: map[string]string{"sha256": "abc"}}
	if err := b.PutFile(t.Context(), "doc/audio.wav", src, opts); err != nil {
		t.Fatal(err)
	}
	srcInfo, _ := os.Stat(src)
	objInfo, err := os.Stat(filepath.Join(dir, "bucket", "doc", "audio.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(srcInfo, objInfo) {
		t.Error("the object is a copy, not a link of the file")
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	obj, err := b.Open(t.Context(), "doc/audio.wav")
	if err != nil {
		t.Fatal(err)
	}
	content, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || string(content) != "RIFF and samples" {
		t.Errorf("content %q, %v", content, err)
	}
	if obj.ContentType != "audio/wav" || obj.Metadata["sha256"] != "abc" || obj.Size != int64(len(content)) {
		t.Errorf("attributes %+v", obj.Attributes)
	}
	var keys []string
	if err := b.List(t.Context(), "", func(a blob.Attributes) error { keys = append(keys, a.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "doc/audio.wav" {
		t.Errorf("listed %v", keys)
	}
}
