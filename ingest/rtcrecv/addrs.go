package rtcrecv

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// Errors about media addresses. Listen wraps them with the details; the
// command line maps each to the flags that change it.
var (
	// ErrNoAddress: no local address to receive media on (the named
	// interfaces do not exist, are down or have no usable address).
	ErrNoAddress = errors.New("no local address for media")
	// ErrPortRange: no free UDP port in the configured range.
	ErrPortRange = errors.New("no free UDP port for media")
	// ErrPublicIP: an advertised public IP is not an IP address.
	ErrPublicIP = errors.New("advertised public IP is not an IP address")
)

// loopbackAddr is where media goes when it stays on this host.
var loopbackAddr = netip.MustParseAddr("127.0.0.1")

// HostAddrs lists the addresses media could use on this host: every global
// unicast or private address of the named interfaces that are up (of every
// non-loopback interface when names is empty). A host whose only interface
// is loopback has none. A name that is no interface of this host is an
// error wrapping ErrNoAddress.
func HostAddrs(names []string) ([]netip.Addr, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing network interfaces: %w", err)
	}
	for _, n := range names {
		if !slices.ContainsFunc(ifaces, func(ifc net.Interface) bool { return ifc.Name == n }) {
			return nil, fmt.Errorf("%w: this host has no interface %q", ErrNoAddress, n)
		}
	}
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		if len(names) > 0 && !slices.Contains(names, ifc.Name) {
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
	return out, nil
}

// chooseAddrs picks the addresses Listen binds, given the host's (from
// HostAddrs): 127.0.0.1 when cfg says loopback only; the host's addresses
// otherwise; and 127.0.0.1 again, with fellBack set, when the host has
// none and cfg neither names interfaces nor advertises public IPs (an
// offline laptop, a container without network), so that a single-host
// setup works with no configuration.
func chooseAddrs(cfg Config, host []netip.Addr) (addrs []netip.Addr, fellBack bool, err error) {
	switch {
	case cfg.LoopbackOnly:
		return []netip.Addr{loopbackAddr}, false, nil
	case len(host) > 0:
		return host, false, nil
	case len(cfg.Interfaces) > 0:
		return nil, false, fmt.Errorf("%w: interfaces %v are down or have no global or private address", ErrNoAddress, cfg.Interfaces)
	case len(cfg.PublicIPs) > 0:
		return nil, false, fmt.Errorf("%w: public IPs %v are advertised but no interface has a global or private address", ErrNoAddress, cfg.PublicIPs)
	default:
		return []netip.Addr{loopbackAddr}, true, nil
	}
}

// listenAddrs is chooseAddrs on this host's addresses.
func listenAddrs(cfg Config) ([]netip.Addr, bool, error) {
	if cfg.LoopbackOnly {
		return chooseAddrs(cfg, nil)
	}
	host, err := HostAddrs(cfg.Interfaces)
	if err != nil {
		return nil, false, err
	}
	return chooseAddrs(cfg, host)
}
