package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// rawIDOf returns the participant id of an INVITE's caller: "4:+<E.164>"
// when its P-Asserted-Identity or From user part is an E.164 number
// ("+" and 1 to 15 digits), else the From URI as "sip:user@host" (without
// port or parameters).
func rawIDOf(req *sip.Request) string {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		for v := range strings.SplitSeq(h.Value(), ",") {
			if n, ok := e164(assertedUser(v)); ok {
				return "4:" + n
			}
		}
	}
	from := req.From()
	if from == nil {
		return "sip:anonymous@anonymous.invalid"
	}
	if n, ok := e164(from.Address.User); ok {
		return "4:" + n
	}
	if from.Address.User == "" {
		return "sip:" + from.Address.Host
	}
	return "sip:" + from.Address.User + "@" + from.Address.Host
}

// assertedUser returns the user part of one P-Asserted-Identity value:
// `"Name" <sip:+1425...@host;user=phone>` or `<tel:+1425...>`.
func assertedUser(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	v = strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(v, "tel:"):
		v = v[len("tel:"):]
	case strings.HasPrefix(v, "sip:"), strings.HasPrefix(v, "sips:"):
		_, v, _ = strings.Cut(v, ":")
		v, _, _ = strings.Cut(v, "@")
	default:
		return ""
	}
	v, _, _ = strings.Cut(v, ";")
	return v
}

// e164 reports whether user is an E.164 number ("+" and 1 to 15 digits),
// returning it.
func e164(user string) (string, bool) {
	if len(user) < 2 || len(user) > 16 || user[0] != '+' {
		return "", false
	}
	for _, c := range user[1:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return user, true
}

// displayNameOf is the caller's display name in the From header, "" without
// one.
func displayNameOf(req *sip.Request) string {
	if from := req.From(); from != nil {
		return strings.TrimSpace(strings.Trim(from.DisplayName, `"`))
	}
	return ""
}
