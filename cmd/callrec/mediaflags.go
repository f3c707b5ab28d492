package main

import (
	"errors"
	"fmt"

	"github.com/callrec/callrec/ingest/rtcrecv"
	"github.com/callrec/callrec/simulate"
)

// mediaFlagHint adds to an error about media addresses the flags that
// change them; other errors pass unchanged.
func mediaFlagHint(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rtcrecv.ErrNoAddress):
		return fmt.Errorf("%w (media addresses: --ice-interfaces names the interfaces, --ice-loopback-only keeps media on this host, --public-ip is advertised)", err)
	case errors.Is(err, rtcrecv.ErrPortRange):
		return fmt.Errorf("%w (widen --udp-port-min/--udp-port-max, or unset both for ephemeral ports)", err)
	case errors.Is(err, rtcrecv.ErrPublicIP):
		return fmt.Errorf("%w (--public-ip takes IP addresses, such as 203.0.113.7)", err)
	case errors.Is(err, simulate.ErrNotConnected):
		return fmt.Errorf("%w (if the server runs with --ice-loopback-only, pass --ice-loopback-only here too; a server behind NAT needs --public-ip)", err)
	}
	return err
}

// simulateFallsBack says whether `callrec simulate`, not asked for
// loopback, must keep media on 127.0.0.1 all the same: this host has no
// usable address on any interface but loopback (the server then falls back
// the same way).
func simulateFallsBack() bool {
	addrs, err := rtcrecv.HostAddrs(nil)
	return err == nil && len(addrs) == 0
}
