package mediarecv

import (
	"net/netip"
	"testing"

	"unsafe"

	"golang.org/x/sys/unix"
)

// TestSocketOpensOnIPv6: a socket for an IPv6 address binds (on ::1,
// without sending anything) and reports its port.
func TestSocketOpensOnIPv6(t *testing.T) {
	s, err := Open(netip.AddrPortFrom(netip.IPv6Loopback(), 0))
	if err != nil {
		t.Skipf("no IPv6 here: %v", err)
	}
	defer s.Close()
	if !s.Local().Addr().Is6() || s.Local().Port() == 0 {
		t.Errorf("local %v", s.Local())
	}
}

// TestSockaddrPorts: source addresses of both families are read with the
// port in network order, IPv4-mapped IPv6 addresses unmapped.
func TestSockaddrPorts(t *testing.T) {
	var sa unix.RawSockaddrInet6
	sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
	sa4.Family = unix.AF_INET
	sa4.Addr = [4]byte{127, 0, 0, 1}
	putPort(&sa4.Port, 50000)
	if got, ok := addrPortOf(&sa); !ok || got != netip.MustParseAddrPort("127.0.0.1:50000") {
		t.Errorf("IPv4: %v %v", got, ok)
	}
	sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: netip.MustParseAddr("2001:db8::7").As16()}
	putPort(&sa.Port, 443)
	if got, ok := addrPortOf(&sa); !ok || got != netip.MustParseAddrPort("[2001:db8::7]:443") {
		t.Errorf("IPv6: %v %v", got, ok)
	}
	sa.Addr = netip.MustParseAddr("::ffff:10.0.0.1").As16()
	if got, _ := addrPortOf(&sa); got != netip.MustParseAddrPort("10.0.0.1:443") {
		t.Errorf("IPv4-mapped: %v", got)
	}
	sa.Family = unix.AF_UNIX
	if _, ok := addrPortOf(&sa); ok {
		t.Error("a non-IP address was read")
	}
	if b := (*[2]byte)(unsafe.Pointer(&sa.Port)); b[0] != 443>>8 || b[1] != 443&0xff {
		t.Errorf("port bytes %v, want network order", b)
	}
}
