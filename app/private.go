package app

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of everything under the data directory: it holds the access key,
// subscription secrets, phone numbers and recorded calls, so nothing in it
// is for other users.
const (
	privateDirMode  fs.FileMode = 0o700
	privateFileMode fs.FileMode = 0o600
)

// makePrivate gives dataDir and everything under it the private modes,
// whatever they were (a directory made by hand, files from an older version
// or copied in). Symbolic links are left alone and not followed. The parts
// create their own files private; this covers what existed before.
func makePrivate(dataDir string) error {
	return filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		want := privateFileMode
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return nil
		case d.IsDir():
			want = privateDirMode
		case !d.Type().IsRegular():
			return nil // sockets, fifos: not ours
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm() == want {
			return nil
		}
		if err := os.Chmod(path, want); err != nil {
			return fmt.Errorf("making %s private: %w", path, err)
		}
		return nil
	})
}
