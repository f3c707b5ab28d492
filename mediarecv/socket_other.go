//go:build !linux

package mediarecv

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
	return adoptUDP(conn)
}

func adoptUDP(conn *net.UDPConn) (udpSocket, netip.AddrPort, error) {
	_ = conn.SetReadBuffer(socketBuffer)
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	u := udpSocket{conn: conn}
	if local.Addr().Is6() && !local.Addr().Is4In6() {
		u.readBatch = ipv6.NewPacketConn(conn).ReadBatch
	} else {
		u.readBatch = ipv4.NewPacketConn(conn).ReadBatch
	}
	return u, netip.AddrPortFrom(local.Addr().Unmap(), local.Port()), nil
}

// reader is a worker's batch of receive buffers.
type reader struct{ msgs []ipv4.Message }

func newReader() reader {
	r := reader{msgs: make([]ipv4.Message, batchSize)}
	for i := range r.msgs {
		r.msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
	}
	return r
}

// drain reads every datagram waiting on s, without blocking, and hands
// each to handle with its arrival time (readAt: no kernel timestamps
// here). The datagram's bytes are valid only during handle.
func (r *reader) drain(s *Socket, readAt time.Time, handle Handler) error {
	for {
		n, err := s.readBatch(r.msgs, syscall.MSG_DONTWAIT)
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
				return nil
			}
			return err
		}
		for i := range r.msgs[:n] {
			m := &r.msgs[i]
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			from := ua.AddrPort()
			from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
			handle(s, from, m.Buffers[0][:m.N], readAt)
		}
		if n < len(r.msgs) {
			return nil
		}
	}
}

func (u *udpSocket) writeTo(b []byte, to netip.AddrPort) error {
	_, err := u.conn.WriteToUDPAddrPort(b, to)
	return err
}

func (u *udpSocket) close() error { return u.conn.Close() }

// poller: away from Linux there is none; a worker reads every socket.
type poller struct{}

func newPoller() (*poller, error) { return nil, errors.New("no poller here") }

func (p *poller) add(*Socket) error       { return nil }
func (p *poller) remove(*Socket)          {}
func (p *poller) ready(func(int32)) error { return nil }
func (p *poller) close()                  {}

func (s *Socket) key() int32 { return 0 }
