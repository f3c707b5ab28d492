package rtcrecv

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

// TestChooseAddrs: loopback only wins; the host's addresses are used when
// it has any; with none, the endpoint falls back to 127.0.0.1 unless
// interfaces or public IPs were asked for, which is then an ErrNoAddress.
func TestChooseAddrs(t *testing.T) {
	lan := []netip.Addr{netip.MustParseAddr("192.168.1.7"), netip.MustParseAddr("2001:db8::7")}
	lo := []netip.Addr{loopbackAddr}
	for _, c := range []struct {
		name     string
		cfg      Config
		host     []netip.Addr
		want     []netip.Addr
		fellBack bool
		err      error
	}{
		{name: "loopback only", cfg: Config{LoopbackOnly: true}, host: lan, want: lo},
		{name: "host addresses", host: lan, want: lan},
		{name: "no address: fall back", want: lo, fellBack: true},
		{name: "named interfaces without address", cfg: Config{Interfaces: []string{"eth0"}}, err: ErrNoAddress},
		{name: "public IP without address", cfg: Config{PublicIPs: []string{"203.0.113.9"}}, err: ErrNoAddress},
		{name: "named interfaces with addresses", cfg: Config{Interfaces: []string{"eth0"}}, host: lan, want: lan},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, fellBack, err := chooseAddrs(c.cfg, c.host)
			if !errors.Is(err, c.err) || (err != nil) != (c.err != nil) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if !slices.Equal(got, c.want) || fellBack != c.fellBack {
				t.Errorf("got %v (fell back %v), want %v (%v)", got, fellBack, c.want, c.fellBack)
			}
		})
	}
}

// TestHostAddrsUnknownInterface: naming an interface the host lacks is an
// ErrNoAddress that names it.
func TestHostAddrsUnknownInterface(t *testing.T) {
	_, err := HostAddrs([]string{"callrec-no-such-if0"})
	if !errors.Is(err, ErrNoAddress) {
		t.Fatalf("err %v, want ErrNoAddress", err)
	}
	t.Log(err)
}
