package rtcrecv

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

// chromeOffer is the shape of a browser's WHIP offer: audio (Opus, RED,
// G.722, PCMU), video (VP8 with RTX, H.264), a data channel, BUNDLE,
// setup:actpass, transport-cc as extension 3.
const chromeOffer = "v=0\r\n" +
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=group:BUNDLE 0 1 2\r\n" +
	"a=extmap-allow-mixed\r\n" +
	"a=msid-semantic: WMS stream\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:Ab3d\r\n" +
	"a=ice-pwd:0123456789abcdefghijklmn\r\n" +
	"a=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 3E:1F:9F:A2:28:A3:B8:54:0C:44:B7:6E:B5:1C:D6:14:25:E0:1E:46:BF:CB:5E:63:0E:7A:A8:D4:C3:9E:AA:1B\r\n" +
	"a=setup:actpass\r\n" +
	"a=mid:0\r\n" +
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
	"a=sendonly\r\n" +
	"a=msid:stream track\r\n" +
	"a=rtcp-mux\r\n" +
	"a=rtcp-rsize\r\n" +
	"a=rtpmap:111 opus/48000/2\r\n" +
	"a=rtcp-fb:111 transport-cc\r\n" +
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"a=rtpmap:63 red/48000/2\r\n" +
	"a=fmtp:63 111/111\r\n" +
	"a=rtpmap:9 G722/8000\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n" +
	"a=ssrc:1001 cname:abc\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 102\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:1\r\n" +
	"a=sendonly\r\n" +
	"a=rtcp-mux\r\n" +
	"a=rtpmap:96 VP8/90000\r\n" +
	"a=rtcp-fb:96 nack\r\n" +
	"a=rtcp-fb:96 nack pli\r\n" +
	"a=rtpmap:97 rtx/90000\r\n" +
	"a=fmtp:97 apt=96\r\n" +
	"a=rtpmap:102 H264/90000\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:2\r\n" +
	"a=sctp-port:5000\r\n"

func testParams() localParams {
	return localParams{sessionID: 7, ufrag: "uFrg", pwd: "passwordpasswordpassword", fingerprint: "AA:BB",
		candidates: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40000")}}
}

func TestAnswerToBrowserOffer(t *testing.T) {
	o, err := parseOffer(chromeOffer)
	if err != nil {
		t.Fatal(err)
	}
	a := o.audio()
	if a == nil || a.pt != 111 || a.twccExt != 3 || a.nack || !a.rsize {
		t.Fatalf("audio section %+v", a)
	}
	answer := o.answer(testParams())
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(answer); err != nil {
		t.Fatalf("the answer does not parse: %v\n%s", err, answer)
	}
	if len(sd.MediaDescriptions) != 3 {
		t.Fatalf("%d m= sections, want one per offered section", len(sd.MediaDescriptions))
	}
	for _, want := range []string{
		"a=ice-lite\r\n",
		"a=group:BUNDLE 0 1\r\n",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
		"a=rtpmap:111 opus/48000/2\r\n",
		"a=fmtp:111 minptime=10;useinbandfec=1\r\n",
		"a=extmap:3 " + sdp.TransportCCURI + "\r\n",
		"a=rtcp-fb:111 transport-cc\r\n",
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
		"a=rtpmap:96 VP8/90000\r\n",
		"b=AS:800\r\n",
		"a=rtcp-fb:96 nack pli\r\n",
		"m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n",
		"a=setup:passive\r\n",
		"a=recvonly\r\n",
		"a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n",
		"a=end-of-candidates\r\n",
	} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	if v := o.video(); v == nil || v.codec != VideoVP8 || v.pt != 96 {
		t.Errorf("video section %+v, want VP8 on 96", v)
	}
	for _, unwanted := range []string{"PCMU", "G722", "red/", "rtx/", "H264", "a=rtcp-fb:111 nack", "a=rtcp-fb:96 nack\r\n", "ccm fir"} {
		if strings.Contains(answer, unwanted) {
			t.Errorf("answer has %q:\n%s", unwanted, answer)
		}
	}
}

func TestVideoCodecChoice(t *testing.T) {
	h264 := func(pt, mode string) string {
		return "a=rtpmap:" + pt + " H264/90000\r\na=rtcp-fb:" + pt + " ccm fir\r\n" +
			"a=fmtp:" + pt + " level-asymmetry-allowed=1;packetization-mode=" + mode + ";profile-level-id=42e01f\r\n"
	}
	noVP8 := strings.Replace(chromeOffer, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000", 1)
	for name, c := range map[string]struct {
		offer, codec string
		pt           uint8
	}{
		"VP8 first":         {chromeOffer, VideoVP8, 96},
		"H.264 mode 1":      {strings.Replace(noVP8, "a=rtpmap:102 H264/90000\r\n", h264("102", "0")+h264("104", "1"), 1), VideoH264, 104},
		"only H.264 mode 0": {strings.Replace(noVP8, "a=rtpmap:102 H264/90000\r\n", h264("102", "0"), 1), "", 0},
		"only VP9":          {noVP8, "", 0},
	} {
		o, err := parseOffer(strings.Replace(c.offer, "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102", "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 104", 1))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		answer := o.answer(testParams())
		v := o.video()
		switch {
		case c.codec == "" && v != nil:
			t.Errorf("%s: accepted %+v", name, v)
		case c.codec == "" && !strings.Contains(answer, "m=video 0 "):
			t.Errorf("%s: the video section is not declined:\n%s", name, answer)
		case c.codec != "" && (v == nil || v.codec != c.codec || v.pt != c.pt):
			t.Errorf("%s: video %+v, want %s on %d", name, v, c.codec, c.pt)
		case c.codec == VideoH264 && !strings.Contains(answer, "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\na=rtcp-fb:104 ccm fir\r\n"):
			t.Errorf("%s: answer lacks the H.264 format and FIR:\n%s", name, answer)
		}
	}
}

func TestAnswerTakesTheActiveRoleForAPassiveOffer(t *testing.T) {
	o, err := parseOffer(strings.Replace(chromeOffer, "a=setup:actpass", "a=setup:passive", 1))
	if err != nil {
		t.Fatal(err)
	}
	if answer := o.answer(testParams()); !strings.Contains(answer, "a=setup:active\r\n") {
		t.Fatalf("answer to a passive offer:\n%s", answer)
	}
}

func TestUnusableOffers(t *testing.T) {
	for name, offer := range map[string]string{
		"not SDP":           "hello",
		"no Opus":           strings.Replace(chromeOffer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 speex/16000", 1),
		"audio recvonly":    strings.Replace(chromeOffer, "a=sendonly\r\na=msid:stream track", "a=recvonly\r\na=msid:stream track", 1),
		"no ICE password":   strings.Replace(chromeOffer, "a=ice-pwd:0123456789abcdefghijklmn\r\n", "", 1),
		"no fingerprint":    strings.Replace(chromeOffer, "a=fingerprint:sha-256 ", "a=x-fingerprint:sha-256 ", 1),
		"short fingerprint": strings.Replace(chromeOffer, "3E:1F:9F", "3E", 1),
		"unknown hash":      strings.Replace(chromeOffer, "sha-256 3E", "md5 3E", 1),
		"bad setup":         strings.Replace(chromeOffer, "a=setup:actpass", "a=setup:sideways", 1),
	} {
		if _, err := parseOffer(offer); !errors.Is(err, ErrInvalidOffer) {
			t.Errorf("%s: err %v, want ErrInvalidOffer", name, err)
		}
	}
}

// FuzzParseOffer: any body either fails with ErrInvalidOffer or yields an
// answer that is valid SDP with one m= section per offered one.
func FuzzParseOffer(f *testing.F) {
	f.Add(chromeOffer)
	f.Add(strings.Replace(chromeOffer, "a=setup:actpass", "a=setup:passive", 1))
	f.Add("v=0\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := parseOffer(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidOffer) {
				t.Fatalf("error %v does not wrap ErrInvalidOffer", err)
			}
			return
		}
		answer := o.answer(testParams())
		var sd sdp.SessionDescription
		if err := sd.UnmarshalString(answer); err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, answer)
		}
		if len(sd.MediaDescriptions) != len(o.sections) {
			t.Fatalf("%d sections answered for %d offered", len(sd.MediaDescriptions), len(o.sections))
		}
	})
}
