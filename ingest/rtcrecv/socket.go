package rtcrecv

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/callrec/callrec/mediarecv"
)

// socket is one UDP socket of a worker, bound to one local address: a
// bare socket read in batches (package mediarecv), and the candidates the
// answer gives for it.
type socket struct {
	*mediarecv.Socket
	local netip.AddrPort
	// candidates are the addresses the answer gives for this socket.
	candidates []netip.AddrPort
	handle     func(s *socket, from netip.AddrPort, b []byte, arrival time.Time)
	adapter    mediarecv.Handler // s.adapt, made once
}

// drain reads every datagram waiting on the socket into r's buffers and
// hands each to handle. The datagram's bytes are valid only during handle.
func (s *socket) drain(r *mediarecv.Reader, readAt time.Time, handle func(s *socket, from netip.AddrPort, b []byte, arrival time.Time)) error {
	s.handle = handle
	return r.Drain(s.Socket, readAt, s.adapter)
}

func (s *socket) adapt(_ *mediarecv.Socket, from netip.AddrPort, b []byte, arrival time.Time) {
	s.handle(s, from, b, arrival)
}

func (s *socket) writeTo(b []byte, to netip.AddrPort) error { return s.WriteTo(b, to) }

func (s *socket) close() error { return s.Close() }

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
		u   *mediarecv.Socket
		err error
	)
	if portMin == 0 && portMax == 0 {
		u, err = mediarecv.Open(netip.AddrPortFrom(addr, 0))
	} else {
		if portMax == 0 {
			portMax = 65535
		}
		err = errors.New("the range is empty")
		for port := int(portMin); port <= int(portMax); port++ {
			if u, err = mediarecv.Open(netip.AddrPortFrom(addr, uint16(port))); err == nil {
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
	local := u.Local()
	s := &socket{Socket: u, local: local}
	s.adapter = s.adapt
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
