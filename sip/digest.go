package sip

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// nonceLifetime is how long a nonce of callrec's is good for; a request
// with an older one is challenged again with stale=true.
const nonceLifetime = 5 * time.Minute

// maxNonces bounds the nonces remembered against replay; beyond it the
// oldest are forgotten first (they then count as stale).
const maxNonces = 100_000

// DefaultAuthAlgorithms are the digest algorithms a challenge offers by
// default, one WWW-Authenticate header each, in order of preference (RFC
// 8760 §2.4).
var DefaultAuthAlgorithms = []string{"SHA-256", "MD5"}

// guard checks digest credentials (RFC 8760, RFC 2617, qop=auth) against
// the configured users. Its nonces are stateless (a time and a random
// part, signed with a key of the process), and a nonce's use is
// remembered for its lifetime: without qop a nonce serves once, with qop
// each use must bring a higher nonce count.
type guard struct {
	users map[string]User
	algs  []string // offered, in order
	key   [32]byte
	now   func() time.Time

	mu   sync.Mutex
	used map[string]nonceUse
}

type nonceUse struct {
	nc      uint32
	expires time.Time
}

func newGuard(users []User, algs []string) *guard {
	if len(algs) == 0 {
		algs = DefaultAuthAlgorithms
	}
	g := &guard{users: map[string]User{}, algs: algs, now: time.Now, used: map[string]nonceUse{}}
	for _, u := range users {
		if u.Realm == "" {
			u.Realm = DefaultRealm
		}
		g.users[u.Name] = u
	}
	_, _ = rand.Read(g.key[:])
	return g
}

// verdict is what a request's credentials earn.
type verdict struct {
	user   *User  // set when authorized
	code   int    // 401, 403 or 400 when not
	stale  bool   // 401: the credentials were right, the nonce was not
	realm  string // of the challenge
	reason string // for the Warning header and the log
}

// check decides whether req may go on. header is Authorization (or
// Proxy-Authorization); method and body are req's.
func (g *guard) check(req *sip.Request) verdict {
	realm := g.realmFor(req)
	h := req.GetHeader("Authorization")
	if h == nil {
		return verdict{code: 401, realm: realm, reason: "credentials required"}
	}
	creds, err := digest.ParseCredentials(h.Value())
	if err != nil || creds.Username == "" || creds.Nonce == "" || creds.Response == "" || creds.URI == "" {
		return verdict{code: 400, realm: realm, reason: "malformed Authorization header"}
	}
	alg := strings.ToUpper(creds.Algorithm)
	if alg == "" {
		alg = "MD5"
	}
	if !slices.Contains(g.algs, alg) {
		return verdict{code: 400, realm: realm, reason: fmt.Sprintf("digest algorithm %q is not offered (%s)", creds.Algorithm, strings.Join(g.algs, ", "))}
	}
	if creds.QOP != "" && creds.QOP != "auth" && creds.QOP != "auth-int" {
		return verdict{code: 400, realm: realm, reason: fmt.Sprintf("qop %q is not supported", creds.QOP)}
	}
	if creds.QOP != "" && (creds.Nc <= 0 || creds.Cnonce == "") {
		return verdict{code: 400, realm: realm, reason: "qop without nc or cnonce"}
	}
	if creds.Userhash {
		return verdict{code: 400, realm: realm, reason: "userhash is not supported"}
	}
	var uri sip.Uri
	if err := sip.ParseUri(creds.URI, &uri); err != nil || !sameTarget(uri, req.Recipient) {
		return verdict{code: 400, realm: realm, reason: fmt.Sprintf("digest uri %q is not the Request-URI", creds.URI)}
	}
	u, ok := g.users[creds.Username]
	if !ok || creds.Realm != u.Realm {
		return verdict{code: 403, realm: realm, reason: "unknown user or realm"}
	}
	chal := &digest.Challenge{Realm: u.Realm, Nonce: creds.Nonce, Algorithm: creds.Algorithm}
	if creds.QOP != "" {
		chal.QOP = []string{creds.QOP}
	}
	want, err := digest.Digest(chal, digest.Options{
		Method: req.Method.String(), URI: creds.URI, Username: u.Name, Password: u.Password,
		Cnonce: creds.Cnonce, Count: creds.Nc,
		GetBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(req.Body())), nil },
	})
	if err != nil || !hmac.Equal([]byte(strings.ToLower(creds.Response)), []byte(want.Response)) {
		return verdict{code: 403, realm: u.Realm, reason: "wrong credentials"}
	}
	if !g.fresh(creds.Nonce, uint32(creds.Nc), creds.QOP != "") {
		return verdict{code: 401, stale: true, realm: u.Realm, reason: "stale nonce"}
	}
	return verdict{user: &u}
}

// sameTarget reports whether a digest uri names the Request-URI's host
// and port. The user part is not compared: some user agents (sipp) leave
// it out.
func sameTarget(a, b sip.Uri) bool {
	return strings.EqualFold(a.Host, b.Host) && a.Port == b.Port
}

// realmFor is the realm a challenge names: the realm of the user in the
// From header when it is a configured one, else DefaultRealm.
func (g *guard) realmFor(req *sip.Request) string {
	if f := req.From(); f != nil {
		if u, ok := g.users[f.Address.User]; ok {
			return u.Realm
		}
	}
	return DefaultRealm
}

// challenges returns the WWW-Authenticate headers of a 401: one fresh
// nonce, offered with each algorithm.
func (g *guard) challenges(realm string, stale bool) []sip.Header {
	nonce := g.nonce()
	hs := make([]sip.Header, 0, len(g.algs))
	for _, alg := range g.algs {
		c := digest.Challenge{Realm: realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		hs = append(hs, sip.NewHeader("WWW-Authenticate", c.String()))
	}
	return hs
}

// nonce makes a nonce: issue time (unix ns) and 8 random bytes, with the
// first 16 bytes of their HMAC-SHA256, base64url.
func (g *guard) nonce() string {
	var b [32]byte
	binary.BigEndian.PutUint64(b[:8], uint64(g.now().UnixNano()))
	_, _ = rand.Read(b[8:16])
	copy(b[16:], g.sign(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (g *guard) sign(b []byte) []byte {
	m := hmac.New(sha256.New, g.key[:])
	m.Write(b)
	return m.Sum(nil)[:16]
}

// fresh reports whether a nonce is callrec's, not expired, and not used
// before with this count (a nonce without qop serves once); it records
// the use.
func (g *guard) fresh(nonce string, nc uint32, qop bool) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 32 || !hmac.Equal(b[16:], g.sign(b[:16])) {
		return false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	now := g.now()
	if now.Sub(issued) > nonceLifetime || issued.Sub(now) > time.Minute {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	prev, seen := g.used[nonce]
	if seen && (!qop || nc <= prev.nc) {
		return false
	}
	if !seen && len(g.used) >= maxNonces {
		g.prune(now)
	}
	g.used[nonce] = nonceUse{nc: nc, expires: issued.Add(nonceLifetime)}
	return true
}

// prune forgets expired nonces and, when that is not enough, the half of
// the rest that expires first. g.mu is held.
func (g *guard) prune(now time.Time) {
	for n, u := range g.used {
		if now.After(u.expires) {
			delete(g.used, n)
		}
	}
	if len(g.used) < maxNonces {
		return
	}
	cut := now.Add(nonceLifetime / 2)
	for n, u := range g.used {
		if u.expires.Before(cut) {
			delete(g.used, n)
		}
	}
	if len(g.used) >= maxNonces {
		clear(g.used)
	}
}
