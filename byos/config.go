package byos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
)

// File is the operator's list of allowed destinations (the JSON file of
// serve --external-storage).
type File struct {
	Destinations []Destination `json:"destinations"`
}

// Destination is one allowed container and its credentials. The kind
// follows from the URL: s3:// is an S3 bucket, http(s):// an Azure Blob
// container.
type Destination struct {
	// ContainerURL is the URL clients name in
	// recordingDestinationContainerUrl (see ParseContainerURL).
	ContainerURL string `json:"containerUrl"`

	// Azure Blob: the account key (the account name defaults to the
	// URL's: the host's first label, or on an emulator the path's first
	// segment), or a SAS token with write access to the container.
	AccountName string `json:"accountName,omitempty"`
	AccountKey  string `json:"accountKey,omitempty"`
	SASToken    string `json:"sasToken,omitempty"`

	// S3: the access key pair, the region, and for services other than
	// AWS the endpoint (http(s)://host:port) and path-style addressing.
	AccessKeyID     string `json:"accessKeyId,omitempty"`
	SecretAccessKey string `json:"secretAccessKey,omitempty"`
	Region          string `json:"region,omitempty"`
	Endpoint        string `json:"endpoint,omitempty"`
	UsePathStyle    bool   `json:"usePathStyle,omitempty"`

	kind callrec.StorageKind
}

// Destinations are the allowed destinations, by normalized URL.
type Destinations struct {
	byURL map[string]Destination
}

// Load reads the file at path. Every entry must be a well-formed container
// URL with the credentials of its kind, each URL listed once.
func Load(path string) (*Destinations, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("external storage: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("external storage %s: %w", path, err)
	}
	d, err := New(f.Destinations)
	if err != nil {
		return nil, fmt.Errorf("external storage %s: %w", path, err)
	}
	return d, nil
}

// New checks a list of destinations (see Load).
func New(list []Destination) (*Destinations, error) {
	d := &Destinations{byURL: map[string]Destination{}}
	for i, dst := range list {
		dst.kind = callrec.StorageAzureBlob
		if strings.HasPrefix(strings.ToLower(dst.ContainerURL), "s3:") {
			dst.kind = callrec.StorageS3
		}
		u, err := ParseContainerURL(dst.kind, dst.ContainerURL)
		if err != nil {
			return nil, fmt.Errorf("destination %d: %s", i, err)
		}
		switch dst.kind {
		case callrec.StorageAzureBlob:
			if dst.AccountKey == "" && dst.SASToken == "" {
				return nil, fmt.Errorf("destination %d (%s): an accountKey or a sasToken is required", i, u)
			}
			if dst.AccountName == "" {
				dst.AccountName = accountOf(u)
			}
		case callrec.StorageS3:
			if dst.AccessKeyID == "" || dst.SecretAccessKey == "" {
				return nil, fmt.Errorf("destination %d (%s): accessKeyId and secretAccessKey are required", i, u)
			}
		}
		if _, dup := d.byURL[u]; dup {
			return nil, fmt.Errorf("destination %d: %s is listed twice", i, u)
		}
		dst.ContainerURL = u
		d.byURL[u] = dst
	}
	return d, nil
}

// accountOf is the storage account of a normalized Azure container URL.
func accountOf(containerURL string) string {
	u, _ := url.Parse(containerURL)
	if segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/"); len(segs) == 2 {
		return segs[0]
	}
	host, _, _ := strings.Cut(u.Hostname(), ".")
	return host
}

// Len is the number of allowed destinations.
func (d *Destinations) Len() int {
	if d == nil {
		return 0
	}
	return len(d.byURL)
}

// Check refuses a destination that is not allowed, with a coded error.
func (d *Destinations) Check(es *callrec.ExternalStorage) error {
	if d.Len() == 0 {
		return callrec.FieldErrorf("externalStorage", CodeNotSupported,
			"externalStorage: this server allows no external storage (serve --external-storage); leave externalStorage "+
				"out to keep the files in callrec's own storage (recordingStorageKind %s, recordingDestinationContainerUrl %q)",
			es.Kind, es.ContainerURL)
	}
	dst, ok := d.byURL[es.ContainerURL]
	if !ok || dst.kind != es.Kind {
		return callrec.FieldErrorf(fieldURL, CodeNotAllowed,
			"%s %q (%s) is not a destination this server allows; the operator lists allowed containers in serve's "+
				"--external-storage file", fieldURL, es.ContainerURL, es.Kind)
	}
	return nil
}

// Open opens an allowed destination with its credentials.
func (d *Destinations) Open(ctx context.Context, es *callrec.ExternalStorage) (*blob.Bucket, error) {
	if err := d.Check(es); err != nil {
		return nil, err
	}
	dst := d.byURL[es.ContainerURL]
	if dst.kind == callrec.StorageS3 {
		return blob.OpenS3Bucket(ctx, blob.S3Bucket{
			Bucket: strings.TrimPrefix(dst.ContainerURL, "s3://"), Endpoint: dst.Endpoint, Region: dst.Region,
			AccessKeyID: dst.AccessKeyID, SecretAccessKey: dst.SecretAccessKey, UsePathStyle: dst.UsePathStyle,
		})
	}
	return blob.OpenAzureContainer(ctx, blob.AzureContainer{
		URL: dst.ContainerURL, AccountName: dst.AccountName, AccountKey: dst.AccountKey, SASToken: dst.SASToken,
	})
}
