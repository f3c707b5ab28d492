package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/gcerrors"
)

// Bucket is a Store over a gocloud.dev/blob bucket.
type Bucket struct {
	b *blob.Bucket
	// hideTemp hides fileblob's in-progress uploads ("<key>.<hex>.tmp")
	// from List.
	hideTemp bool
	// dir is the directory of a bucket opened with OpenDir, whose files are
	// kept private.
	dir string
}

// Modes of what OpenDir's buckets create, whatever the process umask:
// recordings are for the server's user alone.
const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
)

var _ Store = (*Bucket)(nil)

// OpenDir opens a bucket on a local directory, creating it if needed.
func OpenDir(dir string) (*Bucket, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{CreateDir: true, NoTempDir: true, DirFileMode: dirMode})
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dir, err)
	}
	return &Bucket{b: b, hideTemp: true, dir: dir}, nil
}

// OpenURL opens a bucket by gocloud URL (file:///path, and azblob:// or
// s3:// once their drivers are imported by the program).
func OpenURL(ctx context.Context, url string) (*Bucket, error) {
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", url, err)
	}
	return &Bucket{b: b}, nil
}

// Wrap makes a Store of an open gocloud bucket; the Store owns it.
func Wrap(b *blob.Bucket) *Bucket { return &Bucket{b: b} }

// ErrNotFound is wrapped by errors for missing objects.
var ErrNotFound = errors.New("blob: object not found")

// IsNotFound reports whether err says that an object does not exist.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || gcerrors.Code(err) == gcerrors.NotFound
}

func notFound(key string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return err
}

// Put implements Store.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) error {
	// Cancelling the writer's context before Close abandons the upload, so a
	// half-written object never appears.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wopts := &blob.WriterOptions{ContentType: opts.ContentType, Metadata: opts.Metadata}
	if b.dir != "" {
		// fileblob creates its files 0666 minus the umask.
		wopts.BeforeWrite = func(as func(any) bool) error {
			var f *os.File
			if as(&f) {
				return f.Chmod(fileMode)
			}
			return nil
		}
	}
	if b.dir == "" {
		// Remote stores upload in one call (gocloud's Upload: a multipart
		// or block upload committed only at the end of r). A read error
		// cancels the upload first, so nothing is committed.
		if wopts.ContentType == "" {
			wopts.ContentType = "application/octet-stream"
		}
		if err := b.b.Upload(ctx, key, &cancelOnError{r: r, cancel: cancel}, wopts); err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
		return nil
	}
	w, err := b.b.NewWriter(ctx, key, wopts)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel()
		_ = w.Close()
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if b.dir != "" {
		// fileblob's sidecar of attributes, created 0666 minus the umask.
		attrs := filepath.Join(b.dir, filepath.FromSlash(key)) + ".attrs"
		if err := os.Chmod(attrs, fileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
	}
	return nil
}

// Open implements Store.
func (b *Bucket) Open(ctx context.Context, key string) (*Object, error) {
	attrs, err := b.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	r, err := b.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, notFound(key, fmt.Errorf("blob: open %s: %w", key, err))
	}
	return &Object{ReadSeekCloser: r, Attributes: attrs}, nil
}

// Stat implements Store.
func (b *Bucket) Stat(ctx context.Context, key string) (Attributes, error) {
	a, err := b.b.Attributes(ctx, key)
	if err != nil {
		return Attributes{}, notFound(key, fmt.Errorf("blob: stat %s: %w", key, err))
	}
	return Attributes{Key: key, Size: a.Size, ModTime: a.ModTime, ContentType: a.ContentType, ETag: a.ETag, Metadata: a.Metadata}, nil
}

// Delete implements Store.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := b.b.Delete(ctx, key); err != nil {
		return notFound(key, fmt.Errorf("blob: delete %s: %w", key, err))
	}
	return nil
}

// List implements Store.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(Attributes) error) error {
	it := b.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("blob: list %q: %w", prefix, err)
		}
		if obj.IsDir || (b.hideTemp && tempName.MatchString(obj.Key)) {
			continue
		}
		attrs, err := b.Stat(ctx, obj.Key)
		if IsNotFound(err) {
			continue // deleted while listing
		}
		if err != nil {
			return err
		}
		if err := fn(attrs); err != nil {
			return err
		}
	}
}

// tempName matches fileblob's temporary files beside their final key.
var tempName = regexp.MustCompile(`\.[0-9a-f]+\.tmp$`)

// Close implements Store.
func (b *Bucket) Close() error { return b.b.Close() }

// cancelOnError cancels an upload's context when its reader fails, before
// the upload sees the error.
type cancelOnError struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelOnError) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.cancel()
	}
	return n, err
}
