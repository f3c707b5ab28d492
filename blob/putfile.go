package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// FileStore is implemented by stores that can take a finished local file
// without copying it through a reader.
type FileStore interface {
	// PutFile stores the object key with the content of the file at path,
	// as Put would. The file must not change afterwards; the caller may
	// remove it.
	PutFile(ctx context.Context, key, path string, opts PutOptions) error
}

var _ FileStore = (*Bucket)(nil)

// PutFile implements FileStore. A bucket on a local directory hard-links the
// file into place when it is on the same filesystem (a recording's spool in
// the data directory): no copy, and so no room needed for one on a full
// disk. Other buckets, and other filesystems, copy it with Put.
func (b *Bucket) PutFile(ctx context.Context, key, path string, opts PutOptions) error {
	if b.dir != "" {
		err := b.linkFile(key, path, opts)
		if err == nil || !errors.Is(err, syscall.EXDEV) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EMLINK) {
			return err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer f.Close()
	return b.Put(ctx, key, f, opts)
}

// fileAttrs is fileblob's sidecar of attributes ("<key>.attrs"), the fields
// Put sets.
type fileAttrs struct {
	ContentType string            `json:"user.content_type"`
	Metadata    map[string]string `json:"user.metadata"`
}

// linkFile does what fileblob's writer does (the attributes sidecar, then
// the object appearing whole under its key by rename), with a hard link of
// path in place of a written temporary file.
func (b *Bucket) linkFile(key, path string, opts PutOptions) error {
	dst := filepath.Join(b.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(dst), dirMode); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	// A name List hides as an upload in progress.
	tmp := dst + "." + strconv.FormatInt(time.Now().UnixNano(), 16) + ".tmp"
	if err := os.Link(path, tmp); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := os.Chmod(tmp, fileMode); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	attrs, err := json.Marshal(fileAttrs{ContentType: opts.ContentType, Metadata: opts.Metadata})
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst+".attrs", attrs, fileMode); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := os.Chmod(dst+".attrs", fileMode); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	ok = true
	return nil
}
