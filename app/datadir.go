package app

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// dataDir is the data directory of a starting or running node: created if
// needed, locked against a second node, private.
type dataDir struct {
	path    string
	created bool // New made the directory
	lock    *dirLock
	// keyCreated says New generated the access key (set by New).
	keyCreated bool
}

// openDataDir creates path if needed (0700), takes its lock and makes
// everything in it private.
func openDataDir(path string) (*dataDir, error) {
	d := &dataDir{path: path}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		d.created = true
	}
	if err := os.MkdirAll(path, privateDirMode); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	lock, err := lockDataDir(path)
	if err != nil {
		return nil, err
	}
	d.lock = lock
	if err := makePrivate(path); err != nil {
		d.unlock()
		return nil, err
	}
	return d, nil
}

// undo removes what a failed start made, so that the next start begins
// afresh rather than with half of a node: the whole directory if it was new,
// else the access key if it was new. Call it after the parts are closed.
func (d *dataDir) undo(log *slog.Logger) {
	d.unlock()
	var err error
	switch {
	case d.created:
		err = os.RemoveAll(d.path)
	case d.keyCreated:
		err = os.Remove(filepath.Join(d.path, accessKeyFile))
	}
	if err != nil {
		log.Warn("cleaning up after a failed start", "data", d.path, "err", err)
	}
}

// unlock releases the directory's lock; later calls do nothing.
func (d *dataDir) unlock() {
	if d == nil || d.lock == nil {
		return
	}
	d.lock.release()
	d.lock = nil
}
