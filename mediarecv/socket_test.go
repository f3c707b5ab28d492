package mediarecv

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// TestSocketRoundTrip: datagrams written by one socket are drained by
// another in order, more than one recvmmsg batch of them, each with its
// sender's address and an arrival time no later than the read; a datagram
// longer than any media datagram is dropped, not cut.
func TestSocketRoundTrip(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	a, err := Open(netip.AddrPortFrom(lo, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(netip.AddrPortFrom(lo, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := NewReader()

	const n = 2*batchSize + 5
	sentAt := time.Now()
	for i := range n {
		if i == n/2 {
			if err := a.WriteTo(make([]byte, maxDatagram+100), b.Local()); err != nil {
				t.Fatal(err)
			}
		}
		msg := bytes.Repeat([]byte{byte(i)}, 20+i%100)
		if err := a.WriteTo(msg, b.Local()); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]byte
	readAt := time.Now()
	err = r.Drain(b, readAt, func(s *Socket, from netip.AddrPort, data []byte, arrival time.Time) {
		if s != b || from != a.Local() {
			t.Errorf("datagram %d from %v on %v, want from %v", len(got), from, s.Local(), a.Local())
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
	if err := r.Drain(b, time.Now(), func(*Socket, netip.AddrPort, []byte, time.Time) { t.Error("a datagram twice") }); err != nil {
		t.Fatal(err)
	}
}
