//go:build !linux

package rtcrecv

import (
	"net"
	"time"
)

// enableTimestamps: kernel receive timestamps are used on Linux only;
// elsewhere a datagram's arrival is when its poll read it.
func enableTimestamps(*net.UDPConn) error { return nil }

func parseTimestamp([]byte) (time.Time, bool) { return time.Time{}, false }
