package benchlive

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

const sampleAnswer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
	"a=ice-ufrag:srv1\r\na=ice-pwd:serverserverserverserver\r\n" +
	"a=fingerprint:sha-256 AB:CD:EF\r\na=setup:passive\r\n" +
	"a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n" +
	"a=extmap:5 " + sdp.TransportCCURI + "\r\n"

// TestParseAnswer: the publisher takes the server's ICE credentials,
// fingerprint, first host candidate and TWCC extension id from the answer,
// and refuses an answer that lacks one it cannot connect without.
func TestParseAnswer(t *testing.T) {
	a, err := parseAnswer(sampleAnswer)
	if err != nil {
		t.Fatal(err)
	}
	want := answer{ufrag: "srv1", pwd: "serverserverserverserver", fingerprint: "AB:CD:EF",
		candidate: netip.MustParseAddrPort("127.0.0.1:40000"), twccID: 5}
	if a != want {
		t.Errorf("got %+v, want %+v", a, want)
	}
	noTWCC, err := parseAnswer(strings.Replace(sampleAnswer, "a=extmap:5 "+sdp.TransportCCURI+"\r\n", "", 1))
	if err != nil || noTWCC.twccID != 0 {
		t.Errorf("without TWCC: %+v, %v", noTWCC, err)
	}
	for _, drop := range []string{"a=ice-ufrag:srv1\r\n", "a=ice-pwd:serverserverserverserver\r\n",
		"a=fingerprint:sha-256 AB:CD:EF\r\n", "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"} {
		if _, err := parseAnswer(strings.Replace(sampleAnswer, drop, "", 1)); err == nil {
			t.Errorf("an answer without %q was accepted", strings.TrimSpace(drop))
		}
	}
}

// TestCertFingerprint: the offer's fingerprint is the certificate's SHA-256
// in SDP's colon-separated form, and is what the server's answer side
// would compute.
func TestCertFingerprint(t *testing.T) {
	cert, err := benchCert()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := certFingerprint(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	if want := hexPairs(sum[:]); !strings.EqualFold(fp, want) {
		t.Errorf("fingerprint %q, want %q", fp, want)
	}
	if _, err := certFingerprint([]byte("not a certificate")); err == nil {
		t.Error("a non-certificate has a fingerprint")
	}
}

func hexPairs(b []byte) string {
	var parts []string
	for _, x := range b {
		parts = append(parts, fmt.Sprintf("%02x", x))
	}
	return strings.Join(parts, ":")
}
