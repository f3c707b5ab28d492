package blob

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	// The drivers of the object stores OpenURL opens: s3:// (AWS S3 and
	// any S3 service through ?endpoint=) and azblob:// (Azure Blob
	// Storage, and Azurite through ?localemu=true).
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/s3blob"
)

// Open opens the store named by a gocloud URL:
//
//   - file:///path/to/dir (or a plain path): a directory on local disk,
//     opened with OpenDir (private files, hard-linked uploads);
//   - s3://bucket?endpoint=http://host:port&region=…&use_path_style=true:
//     S3 or any S3-compatible service, credentials from the environment
//     (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the standard chain
//     (shared config files, instance roles);
//   - azblob://container?…: Azure Blob Storage, credentials from
//     AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, a SAS token or
//     AZURE_STORAGE_CONNECTION_STRING, or the default Azure credential
//     chain (managed identity, workload identity, az login).
//
// The bucket or container must exist.
func Open(ctx context.Context, rawURL string) (*Bucket, error) {
	if dir, ok, err := localDir(rawURL); err != nil {
		return nil, err
	} else if ok {
		return OpenDir(dir)
	}
	return OpenURL(ctx, rawURL)
}

// localDir returns the directory of a file:// URL or a plain path.
func localDir(rawURL string) (string, bool, error) {
	if !strings.Contains(rawURL, "://") {
		if rawURL == "" {
			return "", false, fmt.Errorf("blob: empty store URL")
		}
		return filepath.Clean(rawURL), true, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false, fmt.Errorf("blob: store URL %q: %w", rawURL, err)
	}
	if u.Scheme != "file" {
		return "", false, nil
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", false, fmt.Errorf("blob: store URL %q: a file URL names a local path (file:///dir)", rawURL)
	}
	if u.RawQuery != "" {
		return "", false, fmt.Errorf("blob: store URL %q: file URLs take no options", rawURL)
	}
	if u.Path == "" {
		return "", false, fmt.Errorf("blob: store URL %q has no path", rawURL)
	}
	return filepath.FromSlash(u.Path), true, nil
}

// Redacted returns rawURL for logs, with any secret in its query (an
// access key, a SAS signature) replaced by "xxxxx".
func Redacted(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	for k := range q {
		switch strings.ToLower(k) {
		case "sig", "secret", "key", "access_key", "secret_key", "token", "password":
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// Check reports an error when the bucket cannot be reached or does not
// exist (wrong endpoint, credentials or name).
func (b *Bucket) Check(ctx context.Context) error {
	ok, err := b.b.IsAccessible(ctx)
	if err != nil {
		return fmt.Errorf("blob: bucket not reachable: %w", err)
	}
	if !ok {
		return fmt.Errorf("blob: bucket does not exist")
	}
	return nil
}
