package app_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
)

// TestTLSOffersOnlyAEAD: on TLS 1.2 the server takes only AEAD suites; a
// client that offers nothing but CBC is refused, one that offers GCM or
// ChaCha20-Poly1305 is served, and TLS 1.3 works.
func TestTLSOffersOnlyAEAD(t *testing.T) {
	s := testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.TLSSelfSigned = true }))
	ca, err := os.ReadFile(s.App.TLSFiles.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	addr := strings.TrimPrefix(s.URL, "https://")
	handshake := func(cfg *tls.Config) (tls.ConnectionState, error) {
		cfg.RootCAs, cfg.ServerName = roots, "127.0.0.1"
		raw, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		c := tls.Client(raw, cfg)
		err = c.HandshakeContext(t.Context())
		return c.ConnectionState(), err
	}
	for _, cbc := range []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	} {
		if _, err := handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{cbc}}); err == nil {
			t.Errorf("TLS 1.2 with only %s: accepted", tls.CipherSuiteName(cbc))
		}
	}
	for _, aead := range []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	} {
		st, err := handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{aead}})
		if err != nil || st.CipherSuite != aead {
			t.Errorf("TLS 1.2 with %s: %v (got %s)", tls.CipherSuiteName(aead), err, tls.CipherSuiteName(st.CipherSuite))
		}
	}
	// A client offering every suite Go knows, insecure ones included, still
	// gets an AEAD one.
	var all []uint16
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		all = append(all, cs.ID)
	}
	st, err := handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: all})
	if err != nil || !strings.Contains(tls.CipherSuiteName(st.CipherSuite), "GCM") && !strings.Contains(tls.CipherSuiteName(st.CipherSuite), "CHACHA20") {
		t.Errorf("TLS 1.2 offering everything: %v, %s", err, tls.CipherSuiteName(st.CipherSuite))
	}
	if st, err := handshake(&tls.Config{MinVersion: tls.VersionTLS13}); err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("TLS 1.3: %v, version %x", err, st.Version)
	}
	if _, err := handshake(&tls.Config{MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("TLS 1.1 accepted")
	}
}
