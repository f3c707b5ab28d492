package sqlite

import (
	"errors"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/callrec/callrec"
)

// storageError codes a failed write whose cause is the disk: a full disk
// (SQLITE_FULL, ENOSPC) is StorageFull (507), a disk that fails or refuses
// writes (SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN) Unavailable (503).
// Any other err is returned as otherwise.
func storageError(err, otherwise error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return callrec.StorageFull(err, "the disk of the data directory is full")
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return otherwise
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return callrec.StorageFull(err, "the disk of the data directory is full")
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return callrec.Unavailable(err, "the database cannot write to its disk")
	}
	return otherwise
}
