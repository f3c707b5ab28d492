//go:build !linux

package mediarecv

import "time"

// parseTimestamp: kernel receive timestamps are used on Linux only;
// elsewhere a datagram's arrival is when its poll read it.
func parseTimestamp([]byte) (time.Time, bool) { return time.Time{}, false }
