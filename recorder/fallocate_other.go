//go:build !linux

package recorder

import (
	"os"
	"syscall"
)

// fallocate is Linux's; elsewhere the reserve is written out.
func fallocate(*os.File, int64) error { return syscall.EOPNOTSUPP }
