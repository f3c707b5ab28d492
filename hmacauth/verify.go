package hmacauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/callrec/callrec"
)

// DefaultMaxSkew is how far x-ms-date may be from the server's clock.
const DefaultMaxSkew = 15 * time.Minute

// Verifier checks HMAC-SHA256 signed requests. It tolerates the variants
// the official SDKs produce: the host with or without its port, the JS SDK's
// "host:port:port", x-ms-host on content requests, and the path signed
// without a query of api-version alone (or without any query on routes
// that ignore it, see QueryScope).
type Verifier struct {
	Key     []byte
	MaxSkew time.Duration // zero means DefaultMaxSkew
	// Hosts are extra hosts accepted in the signature, such as the host of
	// the public URL written into connection strings.
	Hosts []string
	Now   func() time.Time
}

// QueryScope says how much of a request's query its signature must cover.
type QueryScope int

const (
	// QuerySigned: the signature covers the path and the query. A signature
	// over the path alone is accepted only when the query is nothing but
	// api-version, which says how to read the request, not what to do.
	QuerySigned QueryScope = iota
	// QueryIgnored is for routes that do not read the query: a signature
	// over the path alone is accepted whatever the query. The official SDKs
	// sign content requests (download, delete) that way: over the content
	// URL's path, then they send the URL with its query.
	QueryIgnored
)

// Verify checks r's signature over body, with the query signed
// (QuerySigned): VerifyHeaders, then VerifyBody.
func (v *Verifier) Verify(r *http.Request, body []byte) error {
	if err := v.VerifyHeaders(r, QuerySigned); err != nil {
		return err
	}
	return VerifyBody(r, body)
}

// VerifyHeaders checks everything about r's signature that does not need the
// body: the Authorization header and its format, the date and its skew, the
// form of x-ms-content-sha256 and its agreement with Content-Length, and the
// HMAC itself, which covers the declared content hash. A server calls it
// before reading the body, so that a client without the key cannot make it
// read one, then VerifyBody. It returns a coded callrec.KindUnauthorized
// error saying what is wrong.
func (v *Verifier) VerifyHeaders(r *http.Request, scope QueryScope) error {
	auth := r.Header.Get(HeaderAuthorization)
	if auth == "" {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeMissingAuth,
			"the request has no Authorization header; sign it with HMAC-SHA256")
	}
	sig, err := parseAuthorization(auth)
	if err != nil {
		return err
	}
	date := r.Header.Get(HeaderDate)
	if date == "" {
		date = r.Header.Get("Date")
	}
	if date == "" {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidAuth, "the x-ms-date header is missing")
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidAuth, "x-ms-date %q is not an RFC 1123 date", date)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	skew := v.MaxSkew
	if skew == 0 {
		skew = DefaultMaxSkew
	}
	if d := now.Sub(t); d > skew || d < -skew {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeStaleDate,
			"x-ms-date %q is %s from the server's clock; at most %s is allowed", date, d.Round(time.Second), skew)
	}
	hash := r.Header.Get(HeaderContentSHA256)
	if !isSHA256(hash) {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidAuth,
			"x-ms-content-sha256 must be the base64 SHA-256 of the request body")
	}
	if (r.ContentLength == 0) != (hash == EmptyContentHash) && r.ContentLength >= 0 {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeContentHashInvalid,
			"x-ms-content-sha256 does not match the SHA-256 of the request body (Content-Length %d)", r.ContentLength)
	}
	withQuery, pathOnly := PathAndQuery(r)
	paths := []string{withQuery}
	if pathOnly != withQuery {
		_, query, _ := strings.Cut(withQuery, "?")
		if scope == QueryIgnored || onlyAPIVersion(query) {
			paths = append(paths, pathOnly)
		}
	}
	ok := false
	for _, host := range v.candidateHosts(r) {
		for _, p := range paths {
			want := Signature(v.Key, StringToSign(r.Method, p, date, host, hash))
			// Every candidate is compared, so timing does not reveal which matched.
			if hmac.Equal([]byte(want), []byte(sig)) {
				ok = true
			}
		}
	}
	if !ok {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidSignature,
			"the HMAC-SHA256 signature does not match the request; check the access key, method, path, query, host and date")
	}
	return nil
}

// VerifyBody checks that body is the one whose hash r declared in
// x-ms-content-sha256 (and VerifyHeaders found signed).
func VerifyBody(r *http.Request, body []byte) error {
	if got := r.Header.Get(HeaderContentSHA256); got != ContentHash(body) {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeContentHashInvalid,
			"x-ms-content-sha256 does not match the SHA-256 of the request body")
	}
	return nil
}

// onlyAPIVersion reports whether a raw query holds nothing but api-version.
func onlyAPIVersion(query string) bool {
	for part := range strings.SplitSeq(query, "&") {
		if k, _, _ := strings.Cut(part, "="); part != "" && k != "api-version" {
			return false
		}
	}
	return true
}

// isSHA256 reports whether s is a base64 SHA-256 (32 bytes, padded).
func isSHA256(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

func parseAuthorization(auth string) (string, error) {
	rest, ok := strings.CutPrefix(auth, scheme+" ")
	if !ok {
		return "", callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidAuth,
			"the Authorization header must use the HMAC-SHA256 scheme")
	}
	var signed, sig string
	for part := range strings.SplitSeq(rest, "&") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(k) {
		case "signedheaders":
			signed = val
		case "signature":
			sig = val
		}
	}
	if !strings.EqualFold(signed, SignedHeaders) {
		return "", callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidAuth,
			"SignedHeaders must be %q", SignedHeaders)
	}
	if sig == "" {
		return "", callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidAuth, "the Authorization header has no Signature")
	}
	if !isSHA256(sig) {
		return "", callrec.Errorf(callrec.KindUnauthorized, callrec.CodeInvalidAuth,
			"the Signature in the Authorization header is not a base64 HMAC-SHA256")
	}
	return sig, nil
}

func (v *Verifier) candidateHosts(r *http.Request) []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, h := range append([]string{r.Header.Get(HeaderHost), r.Header.Get("X-Forwarded-Host"), r.Host}, v.Hosts...) {
		if h == "" {
			continue
		}
		add(h)
		if host, port, err := net.SplitHostPort(h); err == nil {
			add(host)
			add(h + ":" + port) // the JS SDK's host:port:port
		}
	}
	return out
}
