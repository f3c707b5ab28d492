package sip_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
)

// selfSigned makes a certificate for 127.0.0.1 signed by a CA of its own
// (app.EnsureSelfSigned, what serve --tls-self-signed uses) and returns
// its files and a pool that trusts the CA.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	files, err := app.EnsureSelfSigned(t.TempDir(), "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("CA does not parse")
	}
	return files.Cert, files.Key, pool
}

// TestTLSPhoneIsRecorded: with --sip-tls-addr and a certificate made in
// the test, a sipgo phone that trusts it INVITEs over TLS
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
