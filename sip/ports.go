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

// listenBlock binds n consecutive even ports P, P+2, …, P+2(n-1) of the
// range (SIPREC answers a session's streams so; test tools replay a
// multi-stream capture to the first port plus each stream's offset).
func (p *portPool) listenBlock(n int) ([]*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n < 1 {
		return nil, nil
	}
	for range (p.last-p.first)/2 + 1 {
		start := p.next
		if p.next += 2; p.next > p.last {
			p.next = p.first
		}
		if start+2*(n-1) > p.last {
			continue
		}
		conns := make([]*net.UDPConn, 0, n)
		for i := range n {
			c, err := p.bindLocked(start + 2*i)
			if err != nil {
				break
			}
			conns = append(conns, c)
		}
		if len(conns) == n {
			for i := range n {
				p.used[start+2*i] = true
			}
			if p.next = start + 2*n; p.next > p.last {
				p.next = p.first
			}
			return conns, nil
		}
		for _, c := range conns {
			c.Close()
		}
	}
	return nil, errNoPorts
}

// listenAt binds port itself, if it is in the range and free.
func (p *portPool) listenAt(port int) (*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if port < p.first || port > p.last || port%2 != 0 {
		return nil, errNoPorts
	}
	c, err := p.bindLocked(port)
	if err != nil {
		return nil, err
	}
	p.used[port] = true
	return c, nil
}

// bindLocked binds port if the pool has not handed it out; p.mu is held.
func (p *portPool) bindLocked(port int) (*net.UDPConn, error) {
	if p.used[port] {
		return nil, errNoPorts
	}
	return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
}
