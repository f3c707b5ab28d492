package sip

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// errNoPorts: every port of the RTP range is taken.
var errNoPorts = errors.New("sip: no free RTP port in the configured range")

// portPool hands out the even UDP ports of a range to legs, round robin
// (a port just released is the last to be reused, so that late packets of
// an old leg do not reach a new one).
type portPool struct {
	ip          netip.Addr
	first, last int
	mu          sync.Mutex
	next        int
	used        map[int]bool
}

func newPortPool(ip netip.Addr, first, last int) *portPool {
	first += first % 2
	return &portPool{ip: ip, first: first, last: last, next: first, used: map[int]bool{}}
}

// listen binds the next free even port of the range.
func (p *portPool) listen() (*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range (p.last-p.first)/2 + 1 {
		port := p.next
		if p.next += 2; p.next > p.last {
			p.next = p.first
		}
		if p.used[port] {
			continue
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err != nil {
			continue // taken by another program
		}
		p.used[port] = true
		return c, nil
	}
	return nil, errNoPorts
}

// release returns port to the pool.
func (p *portPool) release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, port)
}
