package sip

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

// offerSDP builds an offer: an audio m= line with formats and extra
// attribute lines, on 127.0.0.1:port.
func offerSDP(port int, formats string, attrs ...string) string {
	s := "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio " + strconv.Itoa(port) + " RTP/AVP " + formats + "\r\n"
	for _, a := range attrs {
		s += a + "\r\n"
	}
	return s
}

func TestParseOfferChoosesTheOffersFirstCodecWeDecode(t *testing.T) {
	cases := []struct {
		name      string
		offer     string
		codec     codec
		pt        uint8
		te, cn    int
		sending   bool
		remote    string
		answerHas []string
	}{
		{"static PCMU", offerSDP(4000, "0 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=sendrecv"),
			codecPCMU, 0, 101, -1, true, "127.0.0.1:4000",
			[]string{"m=audio 30000 RTP/AVP 0 101\r\n", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=recvonly"}},
		{"PCMA first", offerSDP(4002, "8 0 13"), codecPCMA, 8, -1, 13, true, "127.0.0.1:4002",
			[]string{"m=audio 30000 RTP/AVP 8 13\r\n", "a=rtpmap:13 CN/8000"}},
		{"G722, G.729 skipped", offerSDP(4004, "18 9 0"), codecG722, 9, -1, -1, true, "127.0.0.1:4004",
			[]string{"RTP/AVP 9\r\n", "a=rtpmap:9 G722/8000"}},
		// Opus is taken wherever the offer lists it: wideband, with its own
		// loss recovery (FEC asked for); CN/8000 does not share its clock.
		{"opus first", offerSDP(4016, "111 9 0 101", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
			"a=rtpmap:101 telephone-event/8000"), codecOpus, 111, 101, -1, true, "127.0.0.1:4016",
			[]string{"m=audio 30000 RTP/AVP 111 101\r\n", "a=rtpmap:111 opus/48000/2\r\n", "a=fmtp:111 useinbandfec=1\r\n",
				"a=rtpmap:101 telephone-event/8000", "a=recvonly"}},
		{"opus after G.711, CN dropped", offerSDP(4018, "0 8 13 96", "a=rtpmap:96 OPUS/48000/2"), codecOpus, 96, -1, -1, true,
			"127.0.0.1:4018", []string{"m=audio 30000 RTP/AVP 96\r\n", "a=rtpmap:96 opus/48000/2\r\n"}},
		{"dynamic PCMU number", offerSDP(4006, "96", "a=rtpmap:96 pcmu/8000/1"), codecPCMU, 96, -1, -1, true, "127.0.0.1:4006",
			[]string{"RTP/AVP 96\r\n", "a=rtpmap:96 PCMU/8000"}},
		{"hold sendonly", offerSDP(4008, "0", "a=sendonly"), codecPCMU, 0, -1, -1, false, "127.0.0.1:4008", []string{"a=inactive"}},
		{"hold inactive", offerSDP(4010, "0", "a=inactive"), codecPCMU, 0, -1, -1, false, "127.0.0.1:4010", []string{"a=inactive"}},
		{"hold RFC 2543", strings.Replace(offerSDP(4012, "0"), "c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0", 1),
			codecPCMU, 0, -1, -1, false, "0.0.0.0:4012", []string{"a=inactive"}},
		{"video refused beside", offerSDP(4014, "0") + "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
			codecPCMU, 0, -1, -1, true, "127.0.0.1:4014", []string{"m=video 0 RTP/AVP 96\r\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := parseOffer([]byte(c.offer))
			if err != nil {
				t.Fatal(err)
			}
			if d.codec != c.codec || d.pt != c.pt || d.tePT != c.te || d.cnPT != c.cn || d.sending != c.sending || d.remote.String() != c.remote {
				t.Fatalf("got codec %v pt %d te %d cn %d sending %v remote %v", d.codec, d.pt, d.tePT, d.cnPT, d.sending, d.remote)
			}
			ans := string(answerSDP(d, netip.MustParseAddrPort("127.0.0.1:30000"), 7, 1))
			for _, want := range c.answerHas {
				if !strings.Contains(ans, want) {
					t.Errorf("answer lacks %q:\n%s", want, ans)
				}
			}
			var s sdp.SessionDescription
			if err := s.UnmarshalString(ans); err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, ans)
			}
			if len(s.MediaDescriptions) != len(d.lines) {
				t.Errorf("answer has %d m= lines, the offer %d", len(s.MediaDescriptions), len(d.lines))
			}
		})
	}
}

func TestParseOfferRefusals(t *testing.T) {
	cases := []struct {
		name  string
		offer string
		want  error
	}{
		{"not SDP", "hello", errBadSDP},
		{"no m= line", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", errBadSDP},
		{"no c= line", strings.Replace(offerSDP(4000, "0"), "c=IN IP4 127.0.0.1\r\n", "", 1), errBadSDP},
		{"host name in c=", strings.Replace(offerSDP(4000, "0"), "127.0.0.1\r\nt=", "phone.example\r\nt=", 1), errBadSDP},
		{"bad payload type", offerSDP(4000, "0 x"), errBadSDP},
		{"opus at another rate", offerSDP(4000, "111", "a=rtpmap:111 opus/16000/1"), errNoCodec},
		{"only GSM", offerSDP(4000, "3"), errNoCodec},
		{"SRTP", strings.Replace(offerSDP(4000, "0"), "RTP/AVP", "RTP/SAVP", 1), errNoCodec},
		{"video only", strings.Replace(offerSDP(4000, "96"), "m=audio", "m=video", 1), errNoCodec},
		{"audio port 0", offerSDP(0, "0"), errNoCodec},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseOffer([]byte(c.offer))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}
