package rtcrecv

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

const (
	// batchSize is how many datagrams one recvmmsg takes.
	batchSize = 64
	// maxDatagram is the largest datagram read; WebRTC keeps under 1200.
	maxDatagram = 1500
	// oobSize holds one SCM_TIMESTAMPNS control message.
	oobSize = 64
	// socketBuffer is the receive buffer asked of the kernel: a worker
	// sleeps between polls, so its socket must hold a poll's packets (the
	// kernel caps this at net.core.rmem_max).
	socketBuffer = 4 << 20
)

// socket is one UDP socket of a worker, bound to one local address. Its
// platform part (udpSocket) reads datagrams in batches without blocking
// and without the Go runtime's network poller: a worker polls its sockets
// on its own clock, so readiness events would only wake idle threads.
type socket struct {
	udpSocket
	local netip.AddrPort
	// candidates are the addresses the answer gives for this socket.
	candidates []netip.AddrPort
}

// hostPriority is the priority of the answer's index-th host candidate,
// component 1 (RFC 8445 §5.1.2.1); earlier candidates are preferred.
func hostPriority(index int) uint32 {
	return 126<<24 | uint32(65535-index)<<8 | 255
}

// listenSocket binds a UDP socket on addr, at the first free port of
// portMin–portMax (any port when both are zero), and lists its candidates:
// the public addresses of addr's family with its port, or else its own.
func listenSocket(addr netip.Addr, portMin, portMax uint16, public []netip.Addr) (*socket, error) {
	var (
		u     udpSocket
		local netip.AddrPort
		err   error
	)
	if portMin == 0 && portMax == 0 {
		u, local, err = openUDP(netip.AddrPortFrom(addr, 0))
	} else {
		if portMax == 0 {
			portMax = 65535
		}
		err = errors.New("the range is empty")
		for port := int(portMin); port <= int(portMax); port++ {
			if u, local, err = openUDP(netip.AddrPortFrom(addr, uint16(port))); err == nil {
				break
			}
		}
	}
	if err != nil {
		if portMin != 0 || portMax != 0 {
			return nil, fmt.Errorf("%w: listen on %s, ports %d–%d: %w", ErrPortRange, addr, portMin, portMax, err)
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &socket{udpSocket: u, local: local}
	for _, ip := range public {
		if ip.Is4() == addr.Is4() {
			s.candidates = append(s.candidates, netip.AddrPortFrom(ip, local.Port()))
		}
	}
	if len(public) == 0 {
		s.candidates = []netip.AddrPort{local}
	}
	return s, nil
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
