package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// codec is an audio codec a SIP leg can send callrec.
type codec uint8

const (
	codecPCMU codec = iota + 1
	codecPCMA
	codecG722
	codecOpus
)

// clockRate is the codec's RTP clock: 8000 Hz, G.722's too (RFC 3551),
// and 48000 Hz for Opus (RFC 7587).
func (c codec) clockRate() int {
	if c == codecOpus {
		return 48000
	}
	return 8000
}

// rtpmap is the codec's encoding name and clock as an a=rtpmap gives them.
func (c codec) rtpmap() string {
	if c == codecOpus {
		return "opus/48000/2"
	}
	return c.String() + "/8000"
}

// String returns the codec's SDP encoding name.
func (c codec) String() string {
	switch c {
	case codecPCMU:
		return "PCMU"
	case codecPCMA:
		return "PCMA"
	case codecG722:
		return "G722"
	case codecOpus:
		return "opus"
	}
	return "unknown"
}

// staticPayloads are the RTP/AVP static payload types callrec decodes
// (RFC 3551); an offer may also map its own numbers with a=rtpmap.
var staticPayloads = map[uint8]string{0: "pcmu/8000", 8: "pcma/8000", 9: "g722/8000", 13: "cn/8000"}

var codecsByName = map[string]codec{"pcmu/8000": codecPCMU, "pcma/8000": codecPCMA, "g722/8000": codecG722,
	"opus/48000": codecOpus}

// Why an offer is refused: errBadSDP answers 400, errNoCodec 488.
var (
	errBadSDP  = errors.New("malformed SDP")
	errNoCodec = errors.New("no common audio codec")
)

// ErrBadSDP and ErrNoCodec are what ChooseFormat's errors wrap: a
// malformed offer (400) and an offer without a codec callrec decodes (488).
var (
	ErrBadSDP  = errBadSDP
	ErrNoCodec = errNoCodec
)

// mediaDesc is what callrec takes from an SDP offer: where the phone wants
// its audio, which codec and payload types the leg uses, and whether the
// phone is sending.
type mediaDesc struct {
	remote  netip.AddrPort // from c= and m=; zero address when on hold the RFC 2543 way
	codec   codec
	pt      uint8
	tePT    int // telephone-event payload type, -1 if not offered
	cnPT    int // comfort noise payload type, -1 if not offered
	sending bool
	mux     bool // RTCP on the RTP port (a=rtcp-mux, RFC 5761)
	// lines is every m= line of the offer, for the answer (which has as
	// many, in order); audio is the index of the one callrec takes.
	lines []string
	audio int
}

// parseOffer reads an SDP offer and chooses the leg's codec as
// ChooseFormat does. Errors wrap errBadSDP or errNoCodec.
func parseOffer(body []byte) (mediaDesc, error) {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(string(body)); err != nil {
		return mediaDesc{}, fmt.Errorf("%w: %v", errBadSDP, err)
	}
	if len(s.MediaDescriptions) == 0 {
		return mediaDesc{}, fmt.Errorf("%w: no m= line", errBadSDP)
	}
	d := mediaDesc{audio: -1, tePT: -1, cnPT: -1}
	sessionDir := direction(s.Attributes)
	var refusal error = fmt.Errorf("%w: no audio stream", errNoCodec)
	for i, m := range s.MediaDescriptions {
		d.lines = append(d.lines, fmt.Sprintf("m=%s 0 %s %s", m.MediaName.Media,
			strings.Join(m.MediaName.Protos, "/"), strings.Join(m.MediaName.Formats, " ")))
		if d.audio >= 0 || m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		if proto := strings.Join(m.MediaName.Protos, "/"); proto != "RTP/AVP" {
			refusal = fmt.Errorf("%w: transport %s (only RTP/AVP is supported)", errNoCodec, proto)
			continue
		}
		f, err := ChooseFormat(m)
		if err != nil {
			if errors.Is(err, ErrBadSDP) {
				return mediaDesc{}, err
			}
			refusal = err
			continue
		}
		d.codec, d.pt, d.tePT, d.cnPT = f.codec, f.PT, f.TelephoneEvent, f.CN
		addr, err := connectionAddr(s.ConnectionInformation, m.ConnectionInformation)
		if err != nil {
			return mediaDesc{}, err
		}
		d.remote = netip.AddrPortFrom(addr, uint16(m.MediaName.Port.Value))
		dir := direction(m.Attributes)
		if dir == "" {
			dir = sessionDir
		}
		d.sending = (dir == "" || dir == "sendrecv" || dir == "sendonly") && !addr.IsUnspecified()
		// Hold is muted: a phone on hold sends music or nothing, and
		// neither belongs in the recording.
		if dir == "sendonly" {
			d.sending = false
		}
		d.mux = hasAttribute(m.Attributes, "rtcp-mux")
		d.audio = i
	}
	if d.audio < 0 {
		return mediaDesc{}, refusal
	}
	return d, nil
}

// rtpmaps returns the offer's a=rtpmap names by payload type, lower-case,
// without the channel count ("pcmu/8000").
func rtpmaps(attrs []sdp.Attribute) map[uint8]string {
	out := map[uint8]string{}
	for _, a := range attrs {
		if a.Key != "rtpmap" {
			continue
		}
		pt, enc, ok := strings.Cut(a.Value, " ")
		n, err := strconv.ParseUint(pt, 10, 7)
		if !ok || err != nil {
			continue
		}
		enc = strings.ToLower(strings.TrimSpace(enc))
		if name, rate, ok := strings.Cut(enc, "/"); ok {
			rate, _, _ = strings.Cut(rate, "/")
			enc = name + "/" + rate
		}
		out[uint8(n)] = enc
	}
	return out
}

// hasAttribute reports whether attrs has the property attribute key.
func hasAttribute(attrs []sdp.Attribute, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// direction returns the direction attribute among attrs, or "".
func direction(attrs []sdp.Attribute) string {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			return a.Key
		}
	}
	return ""
}

// connectionAddr returns the media's connection address: its own c= line,
// else the session's.
func connectionAddr(session, media *sdp.ConnectionInformation) (netip.Addr, error) {
	c := media
	if c == nil {
		c = session
	}
	if c == nil || c.Address == nil {
		return netip.Addr{}, fmt.Errorf("%w: no c= line for the audio stream", errBadSDP)
	}
	host, _, _ := strings.Cut(c.Address.Address, "/") // multicast TTL
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: connection address %q is not an IP address", errBadSDP, c.Address.Address)
	}
	return addr.Unmap(), nil
}

// answerSDP returns callrec's answer to an offer described by d: callrec
// receives on local, with d's codec (plus telephone-event and CN when
// offered); it never sends audio, so the answer is recvonly, or inactive
// while the phone is not sending. Every other m= line is refused (port 0).
func answerSDP(d mediaDesc, local netip.AddrPort, sessionID, version uint64) []byte {
	ip4 := "IP4"
	if local.Addr().Is6() {
		ip4 = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=callrec %d %d IN %s %s\r\ns=callrec\r\nc=IN %s %s\r\nt=0 0\r\n",
		sessionID, version, ip4, local.Addr(), ip4, local.Addr())
	for i, line := range d.lines {
		if i != d.audio {
			b.WriteString(line + "\r\n")
			continue
		}
		b.WriteString(Format{codec: d.codec, PT: d.pt, TelephoneEvent: d.tePT, CN: d.cnPT}.Answer(int(local.Port()), "RTP/AVP"))
		if d.mux {
			b.WriteString("a=rtcp-mux\r\n")
		}
		if d.sending {
			b.WriteString("a=recvonly\r\n")
		} else {
			b.WriteString("a=inactive\r\n")
		}
	}
	return []byte(b.String())
}

// Format is the audio format callrec takes from one offered m= line: the
// codec of its choice, and the telephone-event and comfort noise payload
// types (-1 when not offered).
type Format struct {
	PT             uint8
	TelephoneEvent int
	CN             int
	codec          codec
}

// Codec returns the chosen codec's SDP encoding name (PCMU, PCMA, G722,
// opus).
func (f Format) Codec() string { return f.codec.String() }

// ChooseFormat picks Opus when m offers it (wideband, and it carries its
// own loss recovery), else the first of m's formats (the offer's
// preference order, RFC 3264 §6.1) that callrec decodes, whatever m's
// transport. Comfort noise (CN/8000) is not taken with Opus, whose RTP
// clock it does not share (Opus has its own silence handling).
// Errors wrap ErrBadSDP (a payload type that is not a number) or
// ErrNoCodec.
func ChooseFormat(m *sdp.MediaDescription) (Format, error) {
	f := Format{TelephoneEvent: -1, CN: -1}
	names := rtpmaps(m.Attributes)
	chosen := false
	for _, name := range m.MediaName.Formats {
		n, err := strconv.ParseUint(name, 10, 7)
		if err != nil {
			return Format{}, fmt.Errorf("%w: payload type %q", errBadSDP, name)
		}
		pt := uint8(n)
		enc, ok := names[pt]
		if !ok {
			enc = staticPayloads[pt]
		}
		c := codecsByName[enc]
		switch {
		case enc == "telephone-event/8000" && f.TelephoneEvent < 0:
			f.TelephoneEvent = int(pt)
		case enc == "cn/8000" && f.CN < 0:
			f.CN = int(pt)
		case c == codecOpus && f.codec != codecOpus, c != 0 && !chosen:
			f.codec, f.PT, chosen = c, pt, true
		}
	}
	if !chosen {
		return Format{}, fmt.Errorf("%w: the offer has %s; callrec takes opus, PCMU, PCMA and G722", errNoCodec,
			strings.Join(m.MediaName.Formats, " "))
	}
	if f.codec == codecOpus {
		f.CN = -1
	}
	return f, nil
}

// Answer returns the m= line of an answer taking f on port with transport
// proto ("RTP/AVP", "RTP/SAVP"), with its rtpmap, fmtp and ptime attributes and
// no direction attribute, each line ending in CRLF.
func (f Format) Answer(port int, proto string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "m=audio %d %s %d", port, proto, f.PT)
	if f.TelephoneEvent >= 0 {
		fmt.Fprintf(&b, " %d", f.TelephoneEvent)
	}
	if f.CN >= 0 {
		fmt.Fprintf(&b, " %d", f.CN)
	}
	fmt.Fprintf(&b, "\r\na=rtpmap:%d %s\r\n", f.PT, f.codec.rtpmap())
	if f.codec == codecOpus { // ask for in-band FEC (RFC 7587 §6.1), which the decoder uses
		fmt.Fprintf(&b, "a=fmtp:%d useinbandfec=1\r\n", f.PT)
	}
	if f.TelephoneEvent >= 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", f.TelephoneEvent, f.TelephoneEvent)
	}
	if f.CN >= 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d CN/8000\r\n", f.CN)
	}
	b.WriteString("a=ptime:20\r\n")
	return b.String()
}
