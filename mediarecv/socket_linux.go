//go:build linux

package mediarecv

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpSocket, on Linux, is a bare non-blocking socket descriptor that the
// runtime's network poller never sees: were it registered, every datagram
// arriving while the worker sleeps would wake an idle thread for nothing
// (thousands of times a second). A Reader drains it with recvmmsg into
// buffers allocated once, with each datagram's kernel arrival time
// (SO_TIMESTAMPNS); sends are sendto on the same descriptor. Neither call
// can block, so both are raw system calls.
type udpSocket struct{ fd int }

func openUDP(at netip.AddrPort) (u udpSocket, local netip.AddrPort, err error) {
	var (
		family int
		sa     unix.Sockaddr
	)
	if at.Addr().Is4() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: int(at.Port()), Addr: at.Addr().As4()}
	} else {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(at.Port()), Addr: at.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return u, local, os.NewSyscallError("socket", err)
	}
	defer func() {
		if err != nil {
			_ = unix.Close(fd)
		}
	}()
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return u, local, os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := tune(fd); err != nil {
		return u, local, err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return u, local, os.NewSyscallError("bind", err)
	}
	if local, err = boundAddr(fd); err != nil {
		return u, local, err
	}
	return udpSocket{fd: fd}, local, nil
}

// tune asks for the receive buffer and the kernel arrival timestamps.
func tune(fd int) error {
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, socketBuffer) // the kernel caps it
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fmt.Errorf("kernel timestamps: %w", os.NewSyscallError("setsockopt", err))
	}
	return nil
}

func boundAddr(fd int) (netip.AddrPort, error) {
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(b.Addr), uint16(b.Port)), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(b.Addr), uint16(b.Port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("getsockname: unexpected address %T", bound)
}

// adoptUDP takes c's socket out of the runtime's poller: a duplicate of its
// descriptor, made non-blocking and tuned, outlives c, which is closed.
func adoptUDP(c *net.UDPConn) (u udpSocket, local netip.AddrPort, err error) {
	defer c.Close()
	raw, err := c.SyscallConn()
	if err != nil {
		return u, local, err
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return u, local, err
	}
	if dupErr != nil {
		return u, local, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", dupErr)
	}
	defer func() {
		if err != nil {
			_ = unix.Close(fd)
		}
	}()
	if err := unix.SetNonblock(fd, true); err != nil {
		return u, local, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	if err := tune(fd); err != nil {
		return u, local, err
	}
	if local, err = boundAddr(fd); err != nil {
		return u, local, err
	}
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	return udpSocket{fd: fd}, local, nil
}

// reader is a worker's batch of receive buffers: batchSize datagrams of
// maxDatagram bytes, their source addresses and control messages.
type reader struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for either family
	bufs  []byte
	oob   []byte
	used  int // headers the last recvmmsg filled
}

func newReader() reader {
	r := reader{
		hdrs:  make([]unix.Mmsghdr, batchSize),
		iovs:  make([]unix.Iovec, batchSize),
		names: make([]unix.RawSockaddrInet6, batchSize),
		bufs:  make([]byte, batchSize*maxDatagram),
		oob:   make([]byte, batchSize*oobSize),
		used:  batchSize,
	}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i*maxDatagram]
		r.iovs[i].SetLen(maxDatagram)
		h := &r.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
		h.Control = &r.oob[i*oobSize]
	}
	return r
}

// drain reads every datagram waiting on s, without blocking, and hands
// each to handle with its kernel arrival time. The datagram's bytes are
// valid only during handle.
func (r *reader) drain(s *Socket, readAt time.Time, handle Handler) error {
	for {
		for i := range r.used { // the kernel rewrote these lengths
			h := &r.hdrs[i].Hdr
			h.Namelen = unix.SizeofSockaddrInet6
			h.SetControllen(oobSize)
			h.Flags = 0
		}
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(s.fd),
			uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), unix.MSG_DONTWAIT, 0, 0)
		if errno != 0 {
			r.used = 0
			if errno == unix.EAGAIN || errno == unix.EINTR {
				return nil
			}
			return os.NewSyscallError("recvmmsg", errno)
		}
		r.used = int(n)
		for i := range r.used {
			m := &r.hdrs[i]
			from, ok := addrPortOf(&r.names[i])
			if !ok || m.Hdr.Flags&unix.MSG_TRUNC != 0 {
				continue // not IP, or larger than any media datagram
			}
			b := r.bufs[i*maxDatagram : i*maxDatagram+int(m.Len)]
			oob := r.oob[i*oobSize : i*oobSize+min(int(m.Hdr.Controllen), oobSize)]
			handle(s, from, b, arrivalTime(oob, readAt))
		}
		if r.used < len(r.hdrs) {
			return nil
		}
	}
}

// writeTo sends one datagram. A full send buffer is an error (EAGAIN), not
// a wait: what a worker sends (STUN answers, RTCP) may be lost.
func (u *udpSocket) writeTo(b []byte, to netip.AddrPort) error {
	if len(b) == 0 {
		return nil
	}
	var sa unix.RawSockaddrInet6
	size := uintptr(unix.SizeofSockaddrInet6)
	if to.Addr().Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
		sa4.Family = unix.AF_INET
		sa4.Addr = to.Addr().As4()
		putPort(&sa4.Port, to.Port())
		size = unix.SizeofSockaddrInet4
	} else {
		sa.Family = unix.AF_INET6
		sa.Addr = to.Addr().As16()
		putPort(&sa.Port, to.Port())
	}
	_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(u.fd),
		uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, uintptr(unsafe.Pointer(&sa)), size)
	if errno != 0 {
		return os.NewSyscallError("sendto", errno)
	}
	return nil
}

func (u *udpSocket) close() error { return unix.Close(u.fd) }

// addrPortOf reads a datagram's source address (port in network order).
func addrPortOf(sa *unix.RawSockaddrInet6) (netip.AddrPort, bool) {
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), getPort(&sa4.Port)), true
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), getPort(&sa.Port)), true
	}
	return netip.AddrPort{}, false
}

func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// poller tells a worker which of its sockets have datagrams waiting (an
// epoll set, level-triggered, asked without waiting), so that a read of a
// worker's sockets is one system call plus one recvmmsg per socket with
// something to read: a leg's RTCP socket, mostly empty, and the re-reads
// between ticks, mostly empty too, cost nothing per socket.
type poller struct {
	epfd   int
	events []unix.EpollEvent
}

func newPoller() (*poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &poller{epfd: fd, events: make([]unix.EpollEvent, batchSize)}, nil
}

func (p *poller) add(s *Socket) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.fd)}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, s.fd, &ev))
}

func (p *poller) remove(s *Socket) {
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
}

// ready calls each with the descriptor of every socket that has datagrams
// waiting now.
func (p *poller) ready(each func(fd int32)) error {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd),
			uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)), 0, 0, 0)
		if errno != 0 {
			if errno == unix.EINTR {
				continue
			}
			return os.NewSyscallError("epoll_pwait", errno)
		}
		for i := range int(n) {
			each(p.events[i].Fd)
		}
		if int(n) < len(p.events) {
			return nil
		}
	}
}

func (p *poller) close() { _ = unix.Close(p.epfd) }

// key is the socket's descriptor, the poller's name for it.
func (s *Socket) key() int32 { return int32(s.fd) }
