package rtcrecv

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// TestSocketRoundTrip: datagrams written by one media socket are drained
// by another in order, more than one recvmmsg batch of them, each with its
// sender's address and an arrival time no later than the read; a datagram
// longer than any WebRTC datagram is dropped, not cut.
func TestSocketRoundTrip(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	a, err := listenSocket(lo, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	b, err := listenSocket(lo, 0, 0, []netip.Addr{netip.MustParseAddr("192.0.2.7")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if want := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.7"), b.local.Port()); len(b.candidates) != 1 || b.candidates[0] != want {
		t.Errorf("candidates %v, want %v", b.candidates, want)
	}

	const n = 2*batchSize + 5
	sentAt := time.Now()
	for i := range n {
		if i == n/2 {
			if err := a.writeTo(make([]byte, maxDatagram+100), b.local); err != nil {
				t.Fatal(err)
			}
		}
		msg := bytes.Repeat([]byte{byte(i)}, 20+i%100)
		if err := a.writeTo(msg, b.local); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]byte
	readAt := time.Now()
	err = b.drain(readAt, func(s *socket, from netip.AddrPort, data []byte, arrival time.Time) {
		if s != b || from != a.local {
			t.Errorf("datagram %d from %v on %v, want from %v", len(got), from, s.local, a.local)
		}
		if arrival.After(readAt) || arrival.Before(sentAt.Add(-time.Millisecond)) {
			t.Errorf("datagram %d arrived at %v, sent from %v, read at %v", len(got), arrival, sentAt, readAt)
		}
		got = append(got, bytes.Clone(data))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("drained %d datagrams, want %d (the oversized one dropped)", len(got), n)
	}
	for i, d := range got {
		if len(d) != 20+i%100 || d[0] != byte(i) || d[len(d)-1] != byte(i) {
			t.Fatalf("datagram %d: %d bytes starting %d", i, len(d), d[0])
		}
	}
	// Nothing left: a second drain returns at once.
	if err := b.drain(time.Now(), func(*socket, netip.AddrPort, []byte, time.Time) { t.Error("a datagram twice") }); err != nil {
		t.Fatal(err)
	}
}
