package siprec

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/callrec/callrec/sip"
)

// ServerCallID returns the serverCallId of the callrec call that records
// communication session sessionID: stable (a re-INVITE, a new INVITE for
// the same session, or a restart of callrec find the same call), shaped
// like callrec's other ids (standard base64 of a conversation URL).
// generation counts the calls of one session that ended before: 0 first.
func ServerCallID(sessionID string, generation int) string {
	sum := sha256.Sum256([]byte(sessionID))
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "callrec:siprec/%s?i=%d", hex.EncodeToString(sum[:16]), generation))
}

// RawID returns the ACS raw id of a participant of the metadata: "4:+E164"
// for a tel: URI or a sip: URI whose user part is an E.164 number (with
// user=phone or not), else "sip:user@host" (no port or parameters); a
// participant without an AOR is named after its metadata id.
func RawID(p Participant) string {
	aor := strings.TrimSpace(p.AOR)
	aor = strings.TrimSuffix(strings.TrimPrefix(aor, "<"), ">")
	scheme, rest, ok := strings.Cut(aor, ":")
	scheme = strings.ToLower(scheme)
	switch {
	case ok && scheme == "tel":
		num, _, _ := strings.Cut(rest, ";")
		num = strings.NewReplacer("-", "", ".", "", "(", "", ")", "").Replace(num)
		if n, ok := sip.E164(num); ok {
			return "4:" + n
		}
		return sanitize("tel:" + num)
	case ok && (scheme == "sip" || scheme == "sips"):
		userHost, _, _ := strings.Cut(rest, ";")
		userHost, _, _ = strings.Cut(userHost, "?")
		user, host, hasUser := strings.Cut(userHost, "@")
		if !hasUser {
			user, host = "", userHost
		}
		if d, err := url.PathUnescape(user); err == nil {
			user = d
		}
		if n, ok := sip.E164(user); ok {
			return "4:" + n
		}
		if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
			host = h
		}
		if user == "" {
			return sanitize("sip:" + host)
		}
		return sanitize("sip:" + user + "@" + host)
	}
	return sanitize("siprec-participant:" + p.ID)
}

// streamRawID names the participant of a stream whose sender the metadata
// does not tell.
func streamRawID(label string) string { return sanitize("siprec-stream:" + label) }

// sanitize makes s a valid participant id: printable ASCII without spaces,
// at most 512 characters.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r <= '~' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 500 {
			break
		}
	}
	return b.String()
}
