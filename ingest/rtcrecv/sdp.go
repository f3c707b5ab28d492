package rtcrecv

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// ErrInvalidOffer wraps every reason an offer cannot be answered.
var ErrInvalidOffer = errors.New("invalid offer")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOffer}, args...)...)
}

// offer is what the answer needs from a publisher's SDP offer.
type offer struct {
	iceUfrag, icePwd string
	fingerprint      fingerprint
	setup            string // actpass, active or passive
	bundle           bool
	sections         []section
}

// section is one m= section of the offer and what the answer does with it.
type section struct {
	media   string // audio, video, application, …
	mid     string
	proto   string
	formats []string

	accepted bool
	pt       uint8  // the accepted payload type
	rtpmap   string // its rtpmap value after the payload type
	fmtp     string
	nack     bool // the sender offered NACK for pt
	pli, fir bool // the sender offered "nack pli", "ccm fir" for pt
	twccExt  uint8
	rsize    bool
	codec    string // the accepted video section's: VideoVP8 or VideoH264
}

// Video codecs the endpoint takes, by preference: VP8 first (cheaper to
// decode, what every browser sends by default), then H.264 in
// packetization mode 1 (non-interleaved: FU-A and STAP-A), the only mode
// browsers send.
const (
	VideoVP8  = "VP8"
	VideoH264 = "H264"
)

// VideoMaxKbps is the bandwidth the answer allows a video section (b=AS):
// a tile of a 1080p composite is 640x360, which a browser sends well in
// 800 kbit/s; without it, it would climb to 2.5 Mbit/s and more on a good
// network, for nothing the recording keeps.
const VideoMaxKbps = 800

// parseOffer reads an offer and decides the answer: the first audio section
// sending Opus is accepted (Opus only), the first video section sending VP8
// or H.264 is accepted with one of them (findVideoCodec), everything else
// is rejected (a video the endpoint cannot take does not fail the session:
// its section is answered inactive).
func parseOffer(raw string) (*offer, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return nil, invalidf("%v", err)
	}
	o := &offer{}
	sessionAttr := func(key string) string {
		v, _ := sd.Attribute(key)
		return v
	}
	o.iceUfrag, o.icePwd = sessionAttr("ice-ufrag"), sessionAttr("ice-pwd")
	fp, setup := sessionAttr("fingerprint"), sessionAttr("setup")
	if g := sessionAttr("group"); strings.HasPrefix(g, "BUNDLE ") {
		o.bundle = true
	}
	var haveAudio, haveVideo bool
	for _, m := range sd.MediaDescriptions {
		s := section{media: m.MediaName.Media, proto: strings.Join(m.MediaName.Protos, "/"), formats: m.MediaName.Formats}
		s.mid, _ = m.Attribute("mid")
		if v, ok := m.Attribute("ice-ufrag"); ok && o.iceUfrag == "" {
			o.iceUfrag = v
		}
		if v, ok := m.Attribute("ice-pwd"); ok && o.icePwd == "" {
			o.icePwd = v
		}
		if v, ok := m.Attribute("fingerprint"); ok && fp == "" {
			fp = v
		}
		if v, ok := m.Attribute("setup"); ok && setup == "" {
			setup = v
		}
		sending := m.MediaName.Port.Value != 0 && !hasAttr(m, "recvonly") && !hasAttr(m, "inactive")
		switch {
		case s.media == "audio" && !haveAudio && sending:
			if pt, ok := findCodec(m, func(name string) bool { return strings.EqualFold(name, "opus/48000/2") }); ok {
				s.accept(m, pt)
				haveAudio = true
			}
		case s.media == "video" && !haveVideo && sending:
			if pt, codec, ok := findVideoCodec(m); ok {
				s.accept(m, pt)
				s.codec = codec
				haveVideo = true
			}
		}
		o.sections = append(o.sections, s)
	}
	if !haveAudio {
		return nil, invalidf("no audio section sends Opus")
	}
	if o.iceUfrag == "" || o.icePwd == "" {
		return nil, invalidf("no ice-ufrag and ice-pwd")
	}
	var err error
	if o.fingerprint, err = parseFingerprint(fp); err != nil {
		return nil, err
	}
	switch setup {
	case "", "actpass", "active":
		o.setup = "active" // the publisher is the DTLS client, we are passive
	case "passive":
		o.setup = "passive"
	default:
		return nil, invalidf("a=setup:%s", setup)
	}
	return o, nil
}

func hasAttr(m *sdp.MediaDescription, key string) bool {
	_, ok := m.Attribute(key)
	return ok
}

// findCodec returns the first payload type in the m= line's order whose
// rtpmap name ("opus/48000/2") matches, and that every filter takes.
func findCodec(m *sdp.MediaDescription, match func(name string) bool, filters ...func(pt string) bool) (uint8, bool) {
	names := map[string]string{}
	for _, a := range m.Attributes {
		if a.Key == "rtpmap" {
			pt, name, ok := strings.Cut(a.Value, " ")
			if ok {
				names[pt] = strings.TrimSpace(name)
			}
		}
	}
	for _, f := range m.MediaName.Formats {
		name, ok := names[f]
		if !ok || !match(name) || !all(filters, f) {
			continue
		}
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		return uint8(pt), true
	}
	return 0, false
}

// findVideoCodec picks the payload type of a video section: the first VP8,
// else the first H.264 in packetization mode 1, in the m= line's order.
func findVideoCodec(m *sdp.MediaDescription) (uint8, string, bool) {
	if pt, ok := findCodec(m, func(name string) bool { return strings.EqualFold(name, "VP8/90000") }); ok {
		return pt, VideoVP8, true
	}
	fmtp := map[string]string{}
	for _, a := range m.Attributes {
		if a.Key == "fmtp" {
			if pt, v, ok := strings.Cut(a.Value, " "); ok {
				fmtp[pt] = v
			}
		}
	}
	pt, ok := findCodec(m, func(name string) bool { return strings.EqualFold(name, "H264/90000") }, func(pt string) bool {
		for p := range strings.SplitSeq(fmtp[pt], ";") {
			if strings.TrimSpace(p) == "packetization-mode=1" {
				return true
			}
		}
		return false
	})
	return pt, VideoH264, ok
}

func all(filters []func(string) bool, pt string) bool {
	for _, f := range filters {
		if !f(pt) {
			return false
		}
	}
	return true
}

// accept records what the answer echoes for payload type pt.
func (s *section) accept(m *sdp.MediaDescription, pt uint8) {
	s.accepted, s.pt = true, pt
	prefix := strconv.Itoa(int(pt)) + " "
	for _, a := range m.Attributes {
		switch a.Key {
		case "rtpmap":
			if v, ok := strings.CutPrefix(a.Value, prefix); ok {
				s.rtpmap = strings.TrimSpace(v)
			}
		case "fmtp":
			if v, ok := strings.CutPrefix(a.Value, prefix); ok {
				s.fmtp = strings.TrimSpace(v)
			}
		case "rtcp-fb":
			if v, ok := strings.CutPrefix(a.Value, prefix); ok {
				switch strings.TrimSpace(v) {
				case "nack":
					s.nack = true
				case "nack pli":
					s.pli = true
				case "ccm fir":
					s.fir = true
				}
			}
		case "extmap":
			idDir, uri, _ := strings.Cut(a.Value, " ")
			id, _, _ := strings.Cut(idDir, "/")
			if n, err := strconv.ParseUint(id, 10, 8); err == nil && n >= 1 && n <= 14 && strings.TrimSpace(uri) == sdp.TransportCCURI {
				s.twccExt = uint8(n)
			}
		case "rtcp-rsize":
			s.rsize = true
		}
	}
	if s.media == "audio" && s.fmtp == "" {
		s.fmtp = "minptime=10;useinbandfec=1"
	}
}

// audio returns the accepted audio section.
func (o *offer) audio() *section { return o.accepted("audio") }

// video returns the accepted video section, or nil.
func (o *offer) video() *section { return o.accepted("video") }

func (o *offer) accepted(media string) *section {
	for i := range o.sections {
		if s := &o.sections[i]; s.accepted && s.media == media {
			return s
		}
	}
	return nil
}

// localParams are this side's half of the answer.
type localParams struct {
	sessionID   uint64
	ufrag, pwd  string
	fingerprint string           // sha-256 of our certificate, "AB:CD:…"
	candidates  []netip.AddrPort // host candidates
}

// answer writes the SDP answer (ICE-lite, recvonly, no trickle: every
// candidate is in it).
func (o *offer) answer(l localParams) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=callrec %d 2 IN IP4 0.0.0.0", l.sessionID)
	line("s=-")
	line("t=0 0")
	line("a=ice-lite")
	if o.bundle {
		var mids []string
		for _, s := range o.sections {
			if s.accepted {
				mids = append(mids, s.mid)
			}
		}
		line("a=group:BUNDLE %s", strings.Join(mids, " "))
	}
	setup := "passive"
	if o.setup == "passive" {
		setup = "active"
	}
	for _, s := range o.sections {
		if !s.accepted {
			formats := strings.Join(s.formats, " ")
			if formats == "" {
				formats = "0"
			}
			line("m=%s 0 %s %s", s.media, s.proto, formats)
			line("c=IN IP4 0.0.0.0")
			if s.mid != "" {
				line("a=mid:%s", s.mid)
			}
			if s.media == "audio" || s.media == "video" {
				line("a=inactive")
			}
			continue
		}
		line("m=%s 9 UDP/TLS/RTP/SAVPF %d", s.media, s.pt)
		line("c=IN IP4 0.0.0.0")
		if s.media == "video" {
			line("b=AS:%d", VideoMaxKbps)
		}
		if s.mid != "" {
			line("a=mid:%s", s.mid)
		}
		line("a=ice-ufrag:%s", l.ufrag)
		line("a=ice-pwd:%s", l.pwd)
		line("a=fingerprint:sha-256 %s", l.fingerprint)
		line("a=setup:%s", setup)
		line("a=rtcp-mux")
		if s.rsize {
			line("a=rtcp-rsize")
		}
		line("a=recvonly")
		line("a=rtpmap:%d %s", s.pt, s.rtpmap)
		if s.fmtp != "" {
			line("a=fmtp:%d %s", s.pt, s.fmtp)
		}
		if s.twccExt != 0 {
			line("a=rtcp-fb:%d transport-cc", s.pt)
			line("a=extmap:%d %s", s.twccExt, sdp.TransportCCURI)
		}
		if s.nack && s.media == "audio" {
			line("a=rtcp-fb:%d nack", s.pt)
		}
		if s.media == "video" {
			// Keyframe requests, as the sender offered them (PLI, FIR).
			// NACK for video is not answered: a lost packet costs a
			// keyframe request instead (Peer.SendKeyframeRequest).
			if s.pli {
				line("a=rtcp-fb:%d nack pli", s.pt)
			}
			if s.fir {
				line("a=rtcp-fb:%d ccm fir", s.pt)
			}
		}
		for i, c := range l.candidates {
			line("a=candidate:%d 1 udp %d %s %d typ host", i+1, hostPriority(i), c.Addr().Unmap(), c.Port())
		}
		line("a=end-of-candidates")
	}
	return b.String()
}
