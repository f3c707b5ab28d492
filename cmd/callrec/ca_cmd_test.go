package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
)

// TestCLITrustsTheSelfSignedCA: against `serve --tls-self-signed`, client
// commands fail on the unknown certificate until --ca or $CALLREC_CA names
// the server's DATA/tls/ca.pem.
func TestCLITrustsTheSelfSignedCA(t *testing.T) {
	srv := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.TLSSelfSigned = true }))
	cs := srv.ConnectionString
	if !strings.Contains(cs, "endpoint=https://") {
		t.Fatalf("connection string %q is not https", cs)
	}
	ca := filepath.Join(srv.DataDir, "tls", "ca.pem")
	t.Setenv(caEnv, "")
	r := runCLI(t, cs, "call", "create")
	if r.err == nil || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("without --ca: err %v stderr %q", r.err, r.stderr)
	}
	call := singleLine(t, "call create --ca", mustRun(t, cs, "call", "create", "--ca", ca))
	t.Setenv(caEnv, ca)
	mustRun(t, cs, "call", "show", call)
	mustRun(t, cs, "recording", "list", "--call", call)
	// simulate publishes over WHIP on the same https endpoint.
	out := mustRun(t, cs, "simulate", "--call", call, "--participant", "8:acs:tls_user=tone:440", "--duration", "400ms", "--ice-loopback-only")
	if !strings.Contains(out, "8:acs:tls_user: sent ") {
		t.Errorf("simulate over https printed %q", out)
	}

	notPEM := filepath.Join(t.TempDir(), "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for file, say := range map[string]string{notPEM: "holds no PEM certificate", filepath.Join(t.TempDir(), "missing.pem"): "no such file"} {
		if r := runCLI(t, cs, "call", "list", "--ca", file); r.err == nil || !strings.Contains(r.stderr, "--ca") || !strings.Contains(r.stderr, say) {
			t.Errorf("--ca %s: err %v stderr %q", file, r.err, r.stderr)
		}
	}
}
