package sip

import (
	"net/netip"
	"testing"

	"github.com/pion/sdp/v3"
)

// FuzzParseOffer: any body is refused with errBadSDP or errNoCodec or
// accepted; an accepted offer's answer is valid SDP with as many m= lines.
func FuzzParseOffer(f *testing.F) {
	f.Add(offerSDP(4000, "0 8 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"))
	f.Add(offerSDP(4000, "9 13", "a=inactive") + "m=video 5000 RTP/AVP 96\r\n")
	f.Add(offerSDP(4000, "96", "a=rtpmap:96 PCMA/8000"))
	f.Add("v=0\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		d, err := parseOffer([]byte(body))
		if err != nil {
			return
		}
		if d.codec == 0 || d.audio < 0 || d.audio >= len(d.lines) {
			t.Fatalf("accepted offer without a codec: %+v", d)
		}
		ans := answerSDP(d, netip.MustParseAddrPort("127.0.0.1:30000"), 1, 1)
		var s sdp.SessionDescription
		if err := s.UnmarshalString(string(ans)); err != nil {
			t.Fatalf("answer does not parse: %v\n%s\noffer:\n%q", err, ans, body)
		}
		if len(s.MediaDescriptions) != len(d.lines) {
			t.Fatalf("answer has %d m= lines, offer %d", len(s.MediaDescriptions), len(d.lines))
		}
	})
}
