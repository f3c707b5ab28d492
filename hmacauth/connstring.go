package hmacauth

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// ConnectionString is a parsed ACS connection string:
// "endpoint=https://host[:port]/;accesskey=<base64>".
type ConnectionString struct {
	Endpoint  *url.URL // scheme and host only, no path
	AccessKey string   // as given (base64)
	Key       []byte   // decoded
}

// ParseConnectionString parses s. Keys are case-insensitive; the endpoint
// must be http(s) with no path beyond "/", as the official SDKs require.
func ParseConnectionString(s string) (*ConnectionString, error) {
	var endpoint, key string
	for part := range strings.SplitSeq(strings.TrimSpace(s), ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "endpoint":
			endpoint = strings.TrimSpace(v)
		case "accesskey":
			key = strings.TrimSpace(v)
		}
	}
	if endpoint == "" || key == "" {
		return nil, fmt.Errorf("invalid connection string: want endpoint=https://host/;accesskey=KEY")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid connection string: endpoint %q is not an http(s) URL", endpoint)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("invalid connection string: endpoint %q must not have a path", endpoint)
	}
	u.Path, u.RawPath = "", ""
	raw, err := DecodeKey(key)
	if err != nil {
		return nil, fmt.Errorf("invalid connection string: accesskey is not base64: %w", err)
	}
	return &ConnectionString{Endpoint: u, AccessKey: key, Key: raw}, nil
}

// DecodeKey decodes a base64 access key, padded or not.
func DecodeKey(key string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(key); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(key, "="))
}

// FormatConnectionString builds "endpoint=<endpoint>/;accesskey=<key>".
func FormatConnectionString(endpoint, accessKey string) string {
	return "endpoint=" + strings.TrimRight(endpoint, "/") + "/;accesskey=" + accessKey
}
