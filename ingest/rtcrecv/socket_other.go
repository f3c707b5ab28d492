//go:build !linux

package rtcrecv

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// udpSocket, away from Linux, is a net.UDPConn read in batches through
// x/net (one datagram per call where the system has no recvmmsg). It is
// registered with the runtime's poller, which costs idle wake-ups that the
// Linux socket avoids.
type udpSocket struct {
	conn      *net.UDPConn
	readBatch func(ms []ipv4.Message, flags int) (int, error)
	msgs      []ipv4.Message
}

func openUDP(at netip.AddrPort) (udpSocket, netip.AddrPort, error) {
	network := "udp4"
	if at.Addr().Is6() {
		network = "udp6"
	}
	conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(at))
	if err != nil {
		return udpSocket{}, netip.AddrPort{}, err
	}
	_ = conn.SetReadBuffer(socketBuffer)
	u := udpSocket{conn: conn, msgs: make([]ipv4.Message, batchSize)}
	if at.Addr().Is6() {
		u.readBatch = ipv6.NewPacketConn(conn).ReadBatch
	} else {
		u.readBatch = ipv4.NewPacketConn(conn).ReadBatch
	}
	for i := range u.msgs {
		u.msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
	}
	return u, conn.LocalAddr().(*net.UDPAddr).AddrPort(), nil
}

// drain reads every datagram waiting on the socket, without blocking, and
// hands each to handle with its arrival time (readAt: no kernel
// timestamps here). The datagram's bytes are valid only during handle.
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
			handle(s, from, m.Buffers[0][:m.N], readAt)
		}
		if n < len(s.msgs) {
			return nil
		}
	}
}

func (s *socket) writeTo(b []byte, to netip.AddrPort) error {
	_, err := s.conn.WriteToUDPAddrPort(b, to)
	return err
}

func (s *socket) close() error { return s.conn.Close() }
