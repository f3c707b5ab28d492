package sip_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// (PEM) and returns their paths and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "callrec test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// TestTLSPhoneIsRecorded: with --sip-tls-addr and a self-signed
// certificate, a sipgo phone that trusts it INVITEs over TLS
// (transport=tls), gets a 200 whose Contact says transport=tls on the TLS
// port, joins the call, and its PCMU tone is recorded; it hangs up with a
// BYE over the same connection.
func TestTLSPhoneIsRecorded(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	srv := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.SIPAddr, c.SIPTLSAddr, c.SIPTLSCert, c.SIPTLSKey = "127.0.0.1:0", "127.0.0.1:0", certFile, keyFile
	}))
	n := nodeOf(t, srv)
	tlsAddr := srv.App.SIP.TLSAddr()
	if !tlsAddr.IsValid() {
		t.Fatal("no TLS address")
	}
	ctx := t.Context()
	callID := n.createCall(t)
	recID := n.startRecording(t, callID)
	ph := newPhone(t, tlsAddr, "tlsphone")
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"), sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	ph.ua = ua
	ph.dialog = &sipgo.DialogUA{Client: client,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "tlsphone", Host: "127.0.0.1"}}}
	s, code, answer := ph.call(ctx, callID, "tls", ph.offer("0 101", "sendrecv"))
	if code != 200 {
		t.Fatalf("INVITE over TLS answered %d", code)
	}
	if c := s.InviteResponse.Contact(); c == nil || c.Address.UriParams.GetOr("transport", "") != "tls" || c.Address.Port != int(tlsAddr.Port()) {
		t.Errorf("Contact %v, want transport=tls on port %d", c, tlsAddr.Port())
	}
	to, _, _ := media(t, answer)
	n.waitParticipants(t, callID, []string{"sip:tlsphone@127.0.0.1"})
	snd := newSender(ph.rtp, to, "PCMU")
	const amp = 0.5
	begin := snd.tone(440, amp, 2*time.Second)
	end := time.Now()
	if err := s.Bye(ctx); err != nil {
		t.Fatalf("BYE over TLS: %v", err)
	}
	n.waitParticipants(t, callID, nil)
	x, start, _ := n.recorded(t, recID)
	const margin = 100 * 16
	checkTone(t, "over TLS", x, at(start, begin)+margin, at(start, end)-margin, amp)
}
