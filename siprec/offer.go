package siprec

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"

	"github.com/callrec/callrec/sip"
)

// offerStream is one m= line of an SRC's SDP offer.
type offerStream struct {
	media     string // "audio", "video", …
	label     string // a=label
	port      int    // 0: the stream is removed
	proto     string // RTP/AVP or RTP/SAVP
	line      string // the m= line as offered, port 0 (for a refusal)
	remote    netip.AddrPort
	format    sip.Format
	crypto    *cryptoAttr // RTP/SAVP
	direction string      // sendonly, inactive, …; "" when not given
	// refused says why callrec does not take the stream (no codec it
	// decodes, no crypto suite it supports, not audio); empty if it does.
	refused string
}

// cryptoAttr is an SDES key (RFC 4568 a=crypto) callrec takes.
type cryptoAttr struct {
	tag     string
	suite   string
	profile srtp.ProtectionProfile
	key     []byte // master key (16 bytes) and salt (14 bytes)
}

// suites are the SDES crypto suites callrec decrypts.
var suites = map[string]srtp.ProtectionProfile{
	"AES_CM_128_HMAC_SHA1_80": srtp.ProtectionProfileAes128CmHmacSha1_80,
	"AES_CM_128_HMAC_SHA1_32": srtp.ProtectionProfileAes128CmHmacSha1_32,
}

const keySaltLen = 30

// parseOffer reads an SRC's SDP offer: every m= line, with its label,
// chosen codec and SDES key. A malformed offer answers 400.
func parseOffer(body []byte) ([]offerStream, error) {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(string(body)); err != nil {
		return nil, badRequest("malformed SDP: %v", err)
	}
	if len(s.MediaDescriptions) == 0 {
		return nil, badRequest("malformed SDP: no m= line")
	}
	var out []offerStream
	for _, m := range s.MediaDescriptions {
		st := offerStream{media: m.MediaName.Media, port: m.MediaName.Port.Value, proto: strings.Join(m.MediaName.Protos, "/")}
		st.line = fmt.Sprintf("m=%s 0 %s %s", st.media, st.proto, strings.Join(m.MediaName.Formats, " "))
		for _, a := range m.Attributes {
			switch a.Key {
			case "label":
				st.label = strings.TrimSpace(a.Value)
			case "sendrecv", "sendonly", "recvonly", "inactive":
				st.direction = a.Key
			}
		}
		switch {
		case st.media != "audio":
			st.refused = st.media + " is not recorded"
		case st.port == 0:
		case st.proto != "RTP/AVP" && st.proto != "RTP/SAVP":
			st.refused = "transport " + st.proto + " (callrec takes RTP/AVP and RTP/SAVP)"
		default:
			f, err := sip.ChooseFormat(m)
			if errors.Is(err, sip.ErrBadSDP) {
				return nil, badRequest("%v", err)
			}
			if err != nil {
				st.refused = err.Error()
				break
			}
			st.format = f
			addr, err := connectionAddr(s.ConnectionInformation, m.ConnectionInformation)
			if err != nil {
				return nil, err
			}
			st.remote = netip.AddrPortFrom(addr, uint16(st.port))
			if st.proto == "RTP/SAVP" {
				c, why := chooseCrypto(m.Attributes)
				if c == nil {
					st.refused = why
					break
				}
				st.crypto = c
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// sending reports whether the SRC sends the stream: not when it is
// inactive or recvonly (a paused recording session, RFC 7866 §7.1.2), or
// at 0.0.0.0.
func (st offerStream) sending() bool {
	return st.direction != "inactive" && st.direction != "recvonly" && !st.remote.Addr().IsUnspecified()
}

func connectionAddr(session, media *sdp.ConnectionInformation) (netip.Addr, error) {
	c := media
	if c == nil {
		c = session
	}
	if c == nil || c.Address == nil {
		return netip.Addr{}, badRequest("malformed SDP: no c= line for an audio stream")
	}
	host, _, _ := strings.Cut(c.Address.Address, "/")
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, badRequest("malformed SDP: connection address %q is not an IP address", c.Address.Address)
	}
	return addr.Unmap(), nil
}

// chooseCrypto returns the first a=crypto of attrs whose suite callrec
// supports, with an inline key of the right length; else why none fits.
func chooseCrypto(attrs []sdp.Attribute) (*cryptoAttr, string) {
	why := "RTP/SAVP without a=crypto (callrec keys SRTP by SDES only)"
	for _, a := range attrs {
		if a.Key != "crypto" {
			continue
		}
		f := strings.Fields(a.Value)
		if len(f) < 3 {
			why = fmt.Sprintf("a=crypto %q does not parse", a.Value)
			continue
		}
		profile, ok := suites[f[1]]
		if !ok {
			why = fmt.Sprintf("crypto suite %s (callrec takes AES_CM_128_HMAC_SHA1_80 and _32)", f[1])
			continue
		}
		if len(f) > 3 {
			why = fmt.Sprintf("a=crypto session parameters %q are not supported", strings.Join(f[3:], " "))
			continue
		}
		params, ok := strings.CutPrefix(f[2], "inline:")
		if !ok || strings.Contains(params, ";") {
			why = fmt.Sprintf("a=crypto key %q: one inline key is supported", f[2])
			continue
		}
		keyText, _, _ := strings.Cut(params, "|") // lifetime and MKI are not used
		key, err := base64.StdEncoding.DecodeString(keyText)
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(keyText)
		}
		if err != nil || len(key) != keySaltLen {
			why = fmt.Sprintf("a=crypto key of %s is not %d bytes of base64", f[1], keySaltLen)
			continue
		}
		if rest := strings.SplitN(params, "|", 3); len(rest) == 3 {
			why = "a=crypto with an MKI is not supported"
			continue
		}
		return &cryptoAttr{tag: f[0], suite: f[1], profile: profile, key: key}, ""
	}
	return nil, why
}

// answerCrypto returns callrec's a=crypto line for an offered one: the
// same tag and suite with a fresh key of its own (RFC 4568 §6.1; callrec
// sends nothing, but the answer must carry a key).
func answerCrypto(c *cryptoAttr) string {
	key := make([]byte, keySaltLen)
	_, _ = rand.Read(key)
	return "a=crypto:" + c.tag + " " + c.suite + " inline:" + base64.StdEncoding.EncodeToString(key) + "\r\n"
}

// answerSDP is callrec's answer to an offer: each stream it records is
// answered recvonly on its port, the others refused with port 0, in the
// offer's order.
func answerSDP(offer []offerStream, ports []int, local netip.Addr, sessionID, version uint64) []byte {
	ip := "IP4"
	if local.Is6() {
		ip = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=callrec %d %d IN %s %s\r\ns=callrec SIPREC\r\nc=IN %s %s\r\nt=0 0\r\n",
		sessionID, version, ip, local, ip, local)
	for i, st := range offer {
		if ports[i] == 0 {
			b.WriteString(st.line + "\r\n")
			if st.label != "" {
				b.WriteString("a=label:" + st.label + "\r\n")
			}
			continue
		}
		b.WriteString(st.format.Answer(ports[i], st.proto))
		b.WriteString("a=label:" + st.label + "\r\n")
		if st.crypto != nil {
			b.WriteString(answerCrypto(st.crypto))
		}
		b.WriteString("a=recvonly\r\n")
	}
	return []byte(b.String())
}
