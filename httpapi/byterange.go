package httpapi

import (
	"net/http"
	"strings"
	"time"
)

// rangeResult is what a Range header asks of a representation.
type rangeResult int

const (
	// rangeIgnored: not a single byte range the server reads (malformed,
	// another unit, several ranges); the whole representation is sent, as
	// RFC 9110 §14.2 allows. The official SDKs send "bytes=undefined" and
	// "bytes=None" when no range was asked for.
	rangeIgnored rangeResult = iota
	// rangeSatisfiable: one range within the representation; 206.
	rangeSatisfiable
	// rangeUnsatisfiable: a range that starts at or after the end, a
	// suffix of zero bytes, or a last position before the first; 416 with
	// Content-Range: bytes */size.
	rangeUnsatisfiable
)

// byteRange is a range of a representation, first and last inclusive.
type byteRange struct{ first, last int64 }

// parseRange reads one Range header value (RFC 9110 §14.1.2) against a
// representation of size bytes. A satisfiable range comes back clamped to
// the representation: a last position past its end, or a suffix longer
// than it, ends at its last byte. Positions too large for an int64 are
// past the end of anything stored.
func parseRange(v string, size int64) (byteRange, rangeResult) {
	unit, set, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return byteRange{}, rangeIgnored
	}
	first, last, ok := strings.Cut(set, "-")
	if !ok {
		return byteRange{}, rangeIgnored
	}
	if first == "" { // suffix-range: the last N bytes
		n, ok := parseDigits(last)
		switch {
		case !ok:
			return byteRange{}, rangeIgnored
		case n == 0:
			return byteRange{}, rangeUnsatisfiable
		case size == 0:
			return byteRange{}, rangeIgnored // the whole of nothing: 200, empty
		}
		return byteRange{first: max(size-n, 0), last: size - 1}, rangeSatisfiable
	}
	f, ok := parseDigits(first)
	if !ok {
		return byteRange{}, rangeIgnored
	}
	l := int64(-1)
	if last != "" {
		if l, ok = parseDigits(last); !ok {
			return byteRange{}, rangeIgnored
		}
	}
	if f >= size || (l >= 0 && l < f) {
		return byteRange{}, rangeUnsatisfiable
	}
	if l < 0 || l >= size {
		l = size - 1
	}
	return byteRange{first: f, last: l}, rangeSatisfiable
}

// parseDigits reads 1*DIGIT, saturating at the largest int64.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	const maxInt64 = 1<<63 - 1
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (maxInt64-d)/10 {
			n = maxInt64
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// ifRangeHolds reports whether r's If-Range (if any) names this version of
// the representation: a strong ETag equal to etag, or its Last-Modified
// date. When it does not, Range is ignored and the whole body sent.
func ifRangeHolds(r *http.Request, etag string, modTime time.Time) bool {
	v := r.Header.Get("If-Range")
	switch {
	case v == "":
		return true
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "W/"):
		return etag != "" && !strings.HasPrefix(etag, "W/") && v == etag
	}
	t, err := http.ParseTime(v)
	return err == nil && !modTime.IsZero() && t.Equal(modTime.Truncate(time.Second))
}
