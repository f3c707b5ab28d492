package hmacauth

import (
	"crypto/hmac"
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
// "host:port:port", x-ms-host on content requests, and the path signed with
// or without its query.
type Verifier struct {
	Key     []byte
	MaxSkew time.Duration // zero means DefaultMaxSkew
	// Hosts are extra hosts accepted in the signature, such as the host of
	// the public URL written into connection strings.
	Hosts []string
	Now   func() time.Time
}

// Verify checks r's signature over body. It returns a coded
// callrec.KindUnauthorized error saying what is wrong.
func (v *Verifier) Verify(r *http.Request, body []byte) error {
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
	hash := ContentHash(body)
	if got := r.Header.Get(HeaderContentSHA256); got != hash {
		return callrec.Errorf(callrec.KindUnauthorized, callrec.CodeContentHashInvalid,
			"x-ms-content-sha256 does not match the SHA-256 of the request body")
	}
	withQuery, pathOnly := PathAndQuery(r)
	paths := []string{withQuery}
	if pathOnly != withQuery {
		paths = append(paths, pathOnly)
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
			"the HMAC-SHA256 signature does not match the request; check the access key, method, path, host and date")
	}
	return nil
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
