package benchlive

import (
	"net/netip"
	"strings"
	"testing"
)

const sampleAnswer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
	"a=ice-ufrag:srv1\r\na=ice-pwd:serverserverserverserver\r\n" +
	"a=fingerprint:sha-256 AB:CD:EF\r\na=setup:passive\r\n" +
	"a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n" +
	"a=extmap:5 " + twccURI + "\r\n"

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
	noTWCC, err := parseAnswer(strings.Replace(sampleAnswer, "a=extmap:5 "+twccURI+"\r\n", "", 1))
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

// TestFingerprintNotation: SHA-256 in SDP's upper-case, colon-separated form.
func TestFingerprintNotation(t *testing.T) {
	fp := fingerprint([]byte("certificate"))
	if len(fp) != 32*3-1 || strings.ToUpper(fp) != fp || strings.Count(fp, ":") != 31 {
		t.Errorf("fingerprint %q", fp)
	}
}
