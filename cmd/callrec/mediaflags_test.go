package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestServeMediaAddressErrorsNameFlags: a serve that cannot open its media
// sockets says which flags change them.
func TestServeMediaAddressErrorsNameFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--ice-interfaces", "callrec-nosuch0"}, []string{`no interface "callrec-nosuch0"`, "--ice-interfaces", "--ice-loopback-only"}},
		{[]string{"--ice-loopback-only", "--udp-port-min", "10", "--udp-port-max", "5"}, []string{"ports 10–5", "--udp-port-min/--udp-port-max"}},
		{[]string{"--ice-loopback-only", "--public-ip", "x.y"}, []string{`"x.y"`, "--public-ip takes IP addresses"}},
	} {
		cmd := newServeCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(append([]string{"--data", t.TempDir(), "--addr", "127.0.0.1:0", "--log-level", "error"}, c.args...))
		err := cmd.ExecuteContext(t.Context())
		if err == nil {
			t.Errorf("serve %v started", c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("serve %v: %v\nwant it to say %q", c.args, err, w)
			}
		}
	}
}
