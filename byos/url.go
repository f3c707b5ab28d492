package byos

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/callrec/callrec"
)

// Error codes of the externalStorage start option.
const (
	// CodeNotSupported: the server allows no destination at all.
	CodeNotSupported = "ExternalStorageNotSupported"
	// CodeInvalidContainerURL: recordingDestinationContainerUrl is not a
	// container URL of its kind.
	CodeInvalidContainerURL = "InvalidRecordingDestinationContainerUrl"
	// CodeNotAllowed: a well-formed destination the operator did not allow.
	CodeNotAllowed = "RecordingDestinationContainerUrlNotAllowed"
	// CodeInvalidKind: an unknown or missing recordingStorageKind.
	CodeInvalidKind = "InvalidExternalStorage.recordingStorageKind"
)

// Field names in errors.
const (
	fieldKind = "externalStorage.recordingStorageKind"
	fieldURL  = "externalStorage.recordingDestinationContainerUrl"
)

// Container and bucket names: Azure's (3–63 lower-case letters, digits and
// single hyphens, starting and ending with a letter or digit) and S3's
// (3–63 lower-case letters, digits, dots and hyphens).
var (
	azureContainerName = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9])+$`)
	azureAccountName   = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	s3BucketName       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// ParseStart validates a start request's externalStorage (its
// recordingStorageKind, compared case-insensitively as ACS's SDKs spell it
// either way, and recordingDestinationContainerUrl). It returns nil for
// callrec's own storage (no option, or azureCommunicationServices without
// a container), else the destination with its URL normalized.
func ParseStart(kind, rawURL string) (*callrec.ExternalStorage, error) {
	var k callrec.StorageKind
	switch strings.ToLower(kind) {
	case "", "azurecommunicationservices":
		if rawURL == "" {
			return nil, nil
		}
		if kind == "" {
			return nil, callrec.FieldErrorf(fieldKind, CodeInvalidKind,
				"%s is required with a recordingDestinationContainerUrl: azureBlobStorage, or s3 (a callrec extension)", fieldKind)
		}
		return nil, callrec.FieldErrorf(fieldURL, CodeInvalidContainerURL,
			"recordingStorageKind azureCommunicationServices keeps the files in callrec's own storage and takes no "+
				"recordingDestinationContainerUrl (got %q); use azureBlobStorage to export them to a container", rawURL)
	case "azureblobstorage":
		k = callrec.StorageAzureBlob
	case "s3":
		k = callrec.StorageS3
	default:
		return nil, callrec.FieldErrorf(fieldKind, CodeInvalidKind,
			"%s %q is not one of: azureCommunicationServices, azureBlobStorage, s3", fieldKind, kind)
	}
	u, err := ParseContainerURL(k, rawURL)
	if err != nil {
		return nil, err
	}
	return &callrec.ExternalStorage{Kind: k, ContainerURL: u}, nil
}

// ParseContainerURL checks that rawURL names a container of kind k and
// returns it normalized (lower-case scheme and host, no trailing slash):
//
//   - azureBlobStorage: https://<account>.blob.core.windows.net/<container>,
//     or, for an emulator or a path-style endpoint,
//     http(s)://host[:port]/<account>/<container>;
//   - s3: s3://<bucket>.
//
// Credentials never come in the URL (no user, no query such as a SAS
// token): the operator's file holds them.
func ParseContainerURL(k callrec.StorageKind, rawURL string) (string, error) {
	bad := func(format string, args ...any) error {
		return callrec.FieldErrorf(fieldURL, CodeInvalidContainerURL, "%s %q: "+format,
			append([]any{fieldURL, rawURL}, args...)...)
	}
	if rawURL == "" {
		return "", callrec.FieldErrorf(fieldURL, CodeInvalidContainerURL, "%s is required with recordingStorageKind %s", fieldURL, k)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", bad("not a URL")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", bad("a container URL has no user, query or fragment; credentials (an account key or SAS token) " +
			"are in the server's --external-storage file, not in the URL")
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if host == "" {
		return "", bad("no host")
	}
	path := strings.TrimSuffix(u.Path, "/")
	switch k {
	case callrec.StorageAzureBlob:
		if scheme != "https" && scheme != "http" {
			return "", bad("an Azure Blob container URL is https://<account>.blob.core.windows.net/<container>")
		}
		segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
		switch {
		case len(segs) == 1 && segs[0] != "":
		case len(segs) == 2 && azureAccountName.MatchString(segs[0]):
		default:
			return "", bad("the path must be /<container> (or /<account>/<container> on an emulator)")
		}
		if c := segs[len(segs)-1]; len(c) < 3 || len(c) > 63 || !azureContainerName.MatchString(c) {
			return "", bad("%q is not a container name (3–63 lower-case letters, digits and single hyphens)", segs[len(segs)-1])
		}
	case callrec.StorageS3:
		if scheme != "s3" {
			return "", bad("an S3 destination is s3://<bucket>")
		}
		if path != "" {
			return "", bad("an S3 destination is a whole bucket, s3://<bucket>, without a path")
		}
		if !s3BucketName.MatchString(host) {
			return "", bad("%q is not a bucket name", host)
		}
	default:
		return "", callrec.FieldErrorf(fieldKind, CodeInvalidKind, "%s %q is not supported", fieldKind, k)
	}
	return scheme + "://" + host + path, nil
}
