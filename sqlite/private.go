package sqlite

import (
	"errors"
	"io/fs"
	"os"
)

// fileMode is the mode of the database and its -wal and -shm files: they
// hold subscription secrets and participants' phone numbers.
const fileMode os.FileMode = 0o600

// makePrivate creates the database file 0600 if it does not exist and sets
// 0600 on it and its -wal and -shm files if they do, whatever the umask.
// SQLite creates -wal and -shm with the database file's mode, so they stay
// private afterwards.
func makePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return err
	}
	err = f.Chmod(fileMode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, fileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
