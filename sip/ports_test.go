package sip

import (
	"net"
	"net/netip"
	"testing"
)

// TestPortBlock: a block is consecutive even ports; a port taken by
// another program moves the block past it; listenAt takes a free port and
// refuses one handed out.
func TestPortBlock(t *testing.T) {
	probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	busy := probe.LocalAddr().(*net.UDPAddr).Port &^ 1
	probe.Close()
	if busy+40 > 65535 || busy < 1030 {
		t.Skip("ephemeral port outside the usable range")
	}
	blocker, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: busy + 2})
	if err != nil {
		t.Skip("port taken meanwhile")
	}
	defer blocker.Close()
	p := newPortPool(netip.MustParseAddr("127.0.0.1"), busy, busy+40)
	conns, err := p.listenBlock(3)
	if err != nil {
		t.Fatal(err)
	}
	var ports []int
	for _, c := range conns {
		ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
		defer c.Close()
	}
	if ports[0] <= busy+2 || ports[1] != ports[0]+2 || ports[2] != ports[0]+4 {
		t.Fatalf("block %v around busy port %d", ports, busy+2)
	}
	if _, err := p.listenAt(ports[1]); err == nil {
		t.Fatalf("listenAt(%d) took a port already handed out", ports[1])
	}
	c, err := p.listenAt(ports[2] + 2)
	if err != nil {
		t.Fatalf("listenAt the next port: %v", err)
	}
	c.Close()
}
