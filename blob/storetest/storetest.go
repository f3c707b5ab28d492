// Package storetest is the conformance suite every blob.Store backend must
// pass: put, stat, ranged reads through Seek, replace, list, delete, and
// not-found errors.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/callrec/callrec/blob"
)

// Run runs the suite against the store that open returns; each subtest gets
// a fresh store.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	ctx := context.Background()
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB

	t.Run("PutOpenSeek", func(t *testing.T) {
		s := open(t)
		err := s.Put(ctx, "doc/audio.wav", bytes.NewReader(payload), blob.PutOptions{
			ContentType: "audio/wav", Metadata: map[string]string{"sha256": "abc"}})
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Open(ctx, "doc/audio.wav")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		if o.Size != int64(len(payload)) || o.ContentType != "audio/wav" || o.Metadata["sha256"] != "abc" {
			t.Fatalf("attributes %+v", o.Attributes)
		}
		if o.ModTime.IsZero() {
			t.Error("zero ModTime")
		}
		if _, err := o.Seek(1000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		if _, err := io.ReadFull(o, buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, payload[1000:1100]) {
			t.Fatal("ranged read returned other bytes")
		}
		if _, err := o.Seek(-10, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(o)
		if err != nil || !bytes.Equal(rest, payload[len(payload)-10:]) {
			t.Fatalf("tail read %q, %v", rest, err)
		}
	})

	t.Run("Replace", func(t *testing.T) {
		s := open(t)
		for _, body := range []string{"first version", "second"} {
			if err := s.Put(ctx, "k", strings.NewReader(body), blob.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		o, err := s.Open(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		got, _ := io.ReadAll(o)
		if string(got) != "second" {
			t.Fatalf("got %q after replace", got)
		}
	})

	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		s := open(t)
		r := io.MultiReader(bytes.NewReader(payload), errReader{})
		if err := s.Put(ctx, "broken", r, blob.PutOptions{}); err == nil {
			t.Fatal("put from a failing reader succeeded")
		}
		if _, err := s.Stat(ctx, "broken"); !blob.IsNotFound(err) {
			t.Fatalf("half-written object visible: %v", err)
		}
	})

	t.Run("ListDeleteNotFound", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"a/1", "a/2", "b/1"} {
			if err := s.Put(ctx, k, strings.NewReader(k), blob.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		var keys []string
		if err := s.List(ctx, "a/", func(a blob.Attributes) error { keys = append(keys, a.Key); return nil }); err != nil {
			t.Fatal(err)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "a/1,a/2" {
			t.Fatalf("listed %v", keys)
		}
		if err := s.Delete(ctx, "a/1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "a/1"); !blob.IsNotFound(err) {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := s.Open(ctx, "a/1"); !blob.IsNotFound(err) {
			t.Fatalf("open deleted: %v", err)
		}
		if _, err := s.Stat(ctx, "nope"); !blob.IsNotFound(err) {
			t.Fatalf("stat missing: %v", err)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
