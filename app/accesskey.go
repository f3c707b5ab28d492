package app

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/callrec/callrec/internal/atomicfile"
)

const accessKeyFile = "access-key"

// LoadOrCreateAccessKey returns the node's access key from dataDir, creating
// a random 64-byte key (base64, like ACS keys) on first start.
func LoadOrCreateAccessKey(dataDir string) (key string, created bool, err error) {
	path := filepath.Join(dataDir, accessKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("reading access key: %w", err)
	}
	raw := make([]byte, 64)
	rand.Read(raw)
	key = base64.StdEncoding.EncodeToString(raw)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, fmt.Errorf("creating data directory: %w", err)
	}
	if err := atomicfile.Write(path, []byte(key+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("writing access key: %w", err)
	}
	return key, true, nil
}

// ReadAccessKey returns the access key of an existing data directory.
func ReadAccessKey(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, accessKeyFile))
	if err != nil {
		return "", fmt.Errorf("no access key in %s (has `callrec serve --data %s` run?): %w", dataDir, dataDir, err)
	}
	return strings.TrimSpace(string(b)), nil
}

const publicURLFile = "public-url"

// ReadPublicURL returns the public URL the server last ran with in dataDir,
// or http://DefaultAddr if it never ran.
func ReadPublicURL(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, publicURLFile))
	if err != nil || strings.TrimSpace(string(b)) == "" {
		return "http://" + DefaultAddr
	}
	return strings.TrimSpace(string(b))
}
