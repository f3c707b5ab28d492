//go:build linux

package recorder

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes f's data and size durable (fdatasync: the file's other
// metadata, such as its modification time, is not waited for).
func syncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = unix.Fdatasync(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return fmt.Errorf("%w: %v", os.ErrClosed, err) // closed meanwhile
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// syncFS makes everything written to the file system holding f durable at
// once (syncfs): one call and one cache flush for the whole spool, where a
// sync per file costs a system call, a wake-up and a device flush each.
func syncFS(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = unix.Syncfs(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return fmt.Errorf("%w: %v", os.ErrClosed, err) // closed meanwhile
	}
	if serr != nil {
		return &os.PathError{Op: "syncfs", Path: f.Name(), Err: serr}
	}
	return nil
}
