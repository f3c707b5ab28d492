package acswire

import "strings"

// EscapeComponent escapes s as JavaScript's encodeURIComponent does, which
// is how the official SDKs put a recording id into a path segment: every
// byte except A–Z a–z 0–9 - _ . ! ~ * ' ( ) is percent-encoded with upper-case
// hex, so "+/=:" become "%2B%2F%3D%3A". url.PathEscape is not the same: it
// keeps ":", "=", "+" and others.
func EscapeComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isComponentSafe(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isComponentSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'()", c) >= 0
}
