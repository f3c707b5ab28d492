package mediarecv

import (
	"encoding/binary"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// parseTimestamp finds the SCM_TIMESTAMPNS message in a datagram's control
// data, without allocating.
func parseTimestamp(oob []byte) (time.Time, bool) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		length := int(h.Len)
		if length < unix.SizeofCmsghdr || length > len(oob) {
			return time.Time{}, false
		}
		data := oob[unix.CmsgLen(0):length]
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && len(data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(data[8:16]))
			return time.Unix(sec, nsec), true
		}
		oob = oob[min(unix.CmsgSpace(length-unix.SizeofCmsghdr), len(oob)):]
	}
	return time.Time{}, false
}
