package mediarecv

import (
	"net"
	"net/netip"
	"time"
)

const (
	// batchSize is how many datagrams one recvmmsg takes.
	batchSize = 64
	// maxDatagram is the largest datagram read; WebRTC keeps under 1200,
	// RTP over UDP under the path's MTU.
	maxDatagram = 1500
	// oobSize holds one SCM_TIMESTAMPNS control message.
	oobSize = 64
	// socketBuffer is the receive buffer asked of the kernel: a worker
	// sleeps between polls, so a socket must hold a poll's packets (the
	// kernel caps this at net.core.rmem_max).
	socketBuffer = 4 << 20
)

// MaxDatagram is the largest datagram a worker reads; a longer one is
// dropped, not cut.
const MaxDatagram = maxDatagram

// Handler takes one datagram read from s: its source, its bytes (valid
// only during the call) and its arrival time (the kernel's, where it gives
// one).
type Handler func(s *Socket, from netip.AddrPort, b []byte, arrival time.Time)

// Socket is one UDP socket read by a worker. Its platform part reads
// datagrams in batches without blocking and, on Linux, without the Go
// runtime's network poller: a worker reads its sockets on its own clock,
// so readiness events would only wake idle threads.
type Socket struct {
	udpSocket
	local netip.AddrPort
}

// Open binds a UDP socket on at (port 0: any free port).
func Open(at netip.AddrPort) (*Socket, error) {
	u, local, err := openUDP(at)
	if err != nil {
		return nil, err
	}
	return &Socket{udpSocket: u, local: local}, nil
}

// FromConn takes over c's socket (bound elsewhere, e.g. from a port range)
// for a worker to read; c is closed, the socket stays bound.
func FromConn(c *net.UDPConn) (*Socket, error) {
	u, local, err := adoptUDP(c)
	if err != nil {
		return nil, err
	}
	return &Socket{udpSocket: u, local: local}, nil
}

// Local is the address the socket is bound to.
func (s *Socket) Local() netip.AddrPort { return s.local }

// WriteTo sends one datagram without waiting: a full send buffer is an
// error, not a wait.
func (s *Socket) WriteTo(b []byte, to netip.AddrPort) error { return s.writeTo(b, to) }

// Close closes the socket. Close it only once no worker reads it (after
// its member's Detached, or a Reader's last Drain).
func (s *Socket) Close() error { return s.close() }

// Reader is a set of receive buffers (one batch) that drains sockets; a
// worker owns one. Its methods must not be called concurrently.
type Reader struct{ r reader }

// NewReader allocates a Reader's buffers.
func NewReader() *Reader { return &Reader{r: newReader()} }

// Drain reads every datagram waiting on s, without blocking, and hands
// each to handle. readAt is the read's time (arrival, where the kernel
// gives none).
func (r *Reader) Drain(s *Socket, readAt time.Time, handle Handler) error {
	return r.r.drain(s, readAt, handle)
}

// arrivalTime turns the kernel's wall-clock receive timestamp into a time
// on readAt's monotonic clock (readAt minus the packet's age), so that a
// wall-clock step does not move arrivals. Without one, it is readAt.
func arrivalTime(oob []byte, readAt time.Time) time.Time {
	kernel, ok := parseTimestamp(oob)
	if !ok {
		return readAt
	}
	age := readAt.Round(0).Sub(kernel)
	if age < 0 || age > time.Second {
		return readAt
	}
	return readAt.Add(-age)
}
