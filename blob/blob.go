// Package blob stores recorded objects (audio and metadata documents) in a
// bucket: a directory on local disk, an S3 bucket (AWS or any S3 service) or
// an Azure Blob Storage container.
//
// Store is the small interface the recorder needs. Bucket implements it over
// gocloud.dev/blob: Open takes a URL (file:///dir, s3://bucket?…,
// azblob://container?…; the s3blob and azureblob drivers are linked in) and
// OpenDir opens the local-disk default (fileblob, with private file modes
// and hard-linked uploads). Every backend passes the conformance suite in
// storetest (blob's tests run it against a directory, versitygw and
// Azurite).
package blob

import (
	"context"
	"io"
	"time"
)

// Store holds objects by key. Keys are slash-separated and URL-path-safe.
type Store interface {
	// Put stores the object key with the bytes of r, replacing any object of
	// that key. The object is visible only once complete.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) error
	// Open opens an object for reading with seeking, or returns an error for
	// which IsNotFound is true.
	Open(ctx context.Context, key string) (*Object, error)
	// Stat returns an object's attributes without opening it.
	Stat(ctx context.Context, key string) (Attributes, error)
	// Delete removes an object, or returns an error for which IsNotFound is
	// true.
	Delete(ctx context.Context, key string) error
	// List calls fn for every object whose key starts with prefix, stopping
	// at the first error fn returns.
	List(ctx context.Context, prefix string, fn func(Attributes) error) error
	Close() error
}

// PutOptions are the attributes stored with an object.
type PutOptions struct {
	ContentType string
	// Metadata is small string metadata kept with the object (keys in lower
	// case, as some backends fold them).
	Metadata map[string]string
}

// Attributes describe a stored object.
type Attributes struct {
	Key         string
	Size        int64
	ModTime     time.Time
	ContentType string
	ETag        string
	Metadata    map[string]string
}

// Object is an open object: a seekable reader and its attributes.
type Object struct {
	io.ReadSeekCloser
	Attributes
}
