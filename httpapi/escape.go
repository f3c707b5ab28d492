package httpapi

import (
	"net/url"
	"strings"
)

// escapeSegment escapes an id for one path segment the way the SDKs'
// encodeURIComponent does: everything but A–Z a–z 0–9 - _ . ! ~ * ' ( ) is
// percent-encoded, so '/', '+', '=' and ':' never reach the router raw.
func escapeSegment(id string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func queryEscape(s string) string { return url.QueryEscape(s) }
