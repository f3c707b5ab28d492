package rtcrecv

import (
	"net/netip"
	"testing"
	"time"

	"github.com/callrec/callrec/mediarecv"
)

// TestSocketCandidates: a worker's socket lists the public address of its
// family with its own port as its candidate, and drains what is sent to it.
func TestSocketCandidates(t *testing.T) {
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
	if len(a.candidates) != 1 || a.candidates[0] != a.local {
		t.Errorf("candidates %v, want %v", a.candidates, a.local)
	}
	if want := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.7"), b.local.Port()); len(b.candidates) != 1 || b.candidates[0] != want {
		t.Errorf("candidates %v, want %v", b.candidates, want)
	}
	if err := a.writeTo([]byte{1, 2, 3}, b.local); err != nil {
		t.Fatal(err)
	}
	var got []byte
	deadline := time.Now().Add(10 * time.Second)
	for got == nil && time.Now().Before(deadline) {
		err := b.drain(mediarecv.NewReader(), time.Now(), func(s *socket, from netip.AddrPort, data []byte, _ time.Time) {
			if s != b || from != a.local {
				t.Errorf("from %v on %v", from, s.local)
			}
			got = append([]byte{}, data...)
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if len(got) != 3 || got[2] != 3 {
		t.Fatalf("drained %v", got)
	}
}
