//go:build !linux

package recorder

import (
	"errors"
	"os"
)

// syncData makes f's data durable.
func syncData(f *os.File) error { return f.Sync() }

// syncFS is not available here: the syncer syncs each file.
func syncFS(*os.File) error { return errors.ErrUnsupported }
