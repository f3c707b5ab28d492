//go:build linux

package recorder

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes f's data and size durable (fdatasync: the file's other
// metadata, such as its modification time, is not waited for).
func syncData(f *os.File) error { return syncCall(f, "fdatasync", unix.Fdatasync) }

// syncFS makes everything written to the file system holding f durable at
// once (syncfs): one call and one cache flush for the whole spool, where a
// sync per file costs a system call, a wake-up and a device flush each.
func syncFS(f *os.File) error { return syncCall(f, "syncfs", unix.Syncfs) }

// syncCall runs the sync call on f's descriptor, again if interrupted.
func syncCall(f *os.File, op string, call func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = call(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return fmt.Errorf("%w: %v", os.ErrClosed, err) // closed meanwhile
	}
	if serr != nil {
		return &os.PathError{Op: op, Path: f.Name(), Err: serr}
	}
	return nil
}
