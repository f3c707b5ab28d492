package rtcrecv

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
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

// socket is one UDP socket of a worker, bound to one local address.
type socket struct {
	conn      *net.UDPConn
	readBatch func(ms []ipv4.Message, flags int) (int, error)
	local     netip.AddrPort
	// candidates are the addresses the answer gives for this socket.
	candidates []netip.AddrPort
	msgs       []ipv4.Message
}

// hostPriority is the priority of the answer's index-th host candidate,
// component 1 (RFC 8445 §5.1.2.1); earlier candidates are preferred.
func hostPriority(index int) uint32 {
	return 126<<24 | uint32(65535-index)<<8 | 255
}

func listenSocket(addr netip.Addr, portMin, portMax uint16, public []netip.Addr) (*socket, error) {
	network := "udp4"
	if addr.Is6() {
		network = "udp6"
	}
	var conn *net.UDPConn
	var err error
	if portMin == 0 && portMax == 0 {
		conn, err = net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	} else {
		if portMax == 0 {
			portMax = 65535
		}
		err = errors.New("no free port")
		for port := int(portMin); port <= int(portMax) && conn == nil; port++ {
			conn, err = net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port))))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s (ports %d–%d): %w", addr, portMin, portMax, err)
	}
	_ = conn.SetReadBuffer(socketBuffer)
	if err := enableTimestamps(conn); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("kernel timestamps on %s: %w", addr, err)
	}
	s := &socket{conn: conn, local: conn.LocalAddr().(*net.UDPAddr).AddrPort()}
	if addr.Is6() {
		s.readBatch = ipv6.NewPacketConn(conn).ReadBatch
	} else {
		s.readBatch = ipv4.NewPacketConn(conn).ReadBatch
	}
	for _, ip := range public {
		if ip.Is4() == addr.Is4() {
			s.candidates = append(s.candidates, netip.AddrPortFrom(ip, s.local.Port()))
		}
	}
	if len(public) == 0 {
		s.candidates = []netip.AddrPort{s.local}
	}
	s.msgs = make([]ipv4.Message, batchSize)
	for i := range s.msgs {
		s.msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
		s.msgs[i].OOB = make([]byte, oobSize)
	}
	return s, nil
}

// drain reads every datagram waiting on the socket, without blocking, and
// hands each to handle with its kernel arrival time. The datagram's bytes
// are valid only during handle.
func (s *socket) drain(readAt time.Time, handle func(s *socket, from netip.AddrPort, b []byte, arrival time.Time)) error {
	for {
		n, err := s.readBatch(s.msgs, syscall.MSG_DONTWAIT)
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
				return nil
			}
			return err
		}
		for i := range s.msgs[:n] {
			m := &s.msgs[i]
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			from := ua.AddrPort()
			from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
			handle(s, from, m.Buffers[0][:m.N], arrivalTime(m.OOB[:m.NN], readAt))
		}
		if n < len(s.msgs) {
			return nil
		}
	}
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

func (s *socket) writeTo(b []byte, to netip.AddrPort) error {
	_, err := s.conn.WriteToUDPAddrPort(b, to)
	return err
}

// localAddrs lists the addresses to listen on: 127.0.0.1 alone when
// loopbackOnly; otherwise every global unicast address of the allowed
// interfaces that are up (all interfaces when allowed is empty).
func localAddrs(loopbackOnly bool, allowed []string) ([]netip.Addr, error) {
	if loopbackOnly {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		if len(allowed) > 0 && !slices.Contains(allowed, ifc.Name) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			prefix, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			ip := prefix.Addr().Unmap()
			if ip.IsGlobalUnicast() || ip.IsPrivate() {
				out = append(out, ip)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no usable network address (set the interfaces, or loopback only)")
	}
	return out, nil
}
