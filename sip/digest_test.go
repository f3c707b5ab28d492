package sip

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// signedRequest is an INVITE from alice with credentials for nonce.
func signedRequest(t *testing.T, nonce string, nc int, password string) *sip.Request {
	t.Helper()
	uri := sip.Uri{Scheme: "sip", User: "call", Host: "127.0.0.1", Port: 5060}
	req := sip.NewRequest(sip.INVITE, uri)
	req.AppendHeader(sip.NewHeader("From", "<sip:alice@127.0.0.1>;tag=1"))
	cred, err := digest.Digest(&digest.Challenge{Realm: DefaultRealm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}},
		digest.Options{Method: "INVITE", URI: uri.String(), Username: "alice", Password: password, Count: nc})
	if err != nil {
		t.Fatal(err)
	}
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	return req
}

// TestNonceLifetime: a nonce serves with rising nonce counts until it is
// nonceLifetime old; then, and for a count used before, and for a nonce
// callrec did not sign, the right credentials earn 401 stale=true; wrong
// ones 403 whatever the nonce.
func TestNonceLifetime(t *testing.T) {
	g := newGuard([]User{{Name: "alice", Password: "pw"}}, nil)
	now := time.Unix(1_800_000_000, 0)
	g.now = func() time.Time { return now }
	nonce := g.nonce()
	for _, c := range []struct {
		name    string
		advance time.Duration
		nonce   string
		nc      int
		pw      string
		code    int
		stale   bool
	}{
		{"first use", 0, nonce, 1, "pw", 0, false},
		{"next count", time.Minute, nonce, 2, "pw", 0, false},
		{"count again", 0, nonce, 2, "pw", 401, true},
		{"wrong password", 0, nonce, 3, "nope", 403, false},
		{"not callrec's", 0, "bm90LWNhbGxyZWNz", 1, "pw", 401, true},
		{"expired", nonceLifetime, nonce, 3, "pw", 401, true},
		{"expired, wrong password", 0, nonce, 4, "nope", 403, false},
	} {
		now = now.Add(c.advance)
		v := g.check(signedRequest(t, c.nonce, c.nc, c.pw))
		if v.code != c.code || v.stale != c.stale || (c.code == 0) != (v.user != nil) {
			t.Errorf("%s: %+v, want code %d stale %v", c.name, v, c.code, c.stale)
		}
	}
}

// FuzzUsersFile: any users file is refused or gives users with a name and
// a password and no duplicate.
func FuzzUsersFile(f *testing.F) {
	f.Add("alice:pw\n# c\nbob:pw2:realm:with:colons\n")
	f.Add("alice:\n")
	f.Add("a:b\na:c\n")
	f.Fuzz(func(t *testing.T, data string) {
		users, err := ParseUsers([]byte(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, u := range users {
			if u.Name == "" || u.Password == "" || u.Realm == "" || seen[u.Name] {
				t.Fatalf("accepted %+v from %q", users, data)
			}
			seen[u.Name] = true
		}
	})
}

// FuzzAuthorization: any Authorization header is answered 400, 401 or 403,
// never accepted without the password.
func FuzzAuthorization(f *testing.F) {
	g := newGuard([]User{{Name: "alice", Password: "pw"}}, nil)
	f.Add(`Digest username="alice", realm="callrec", nonce="x", uri="sip:call@127.0.0.1:5060", response="00", qop=auth, nc=00000001, cnonce="c"`)
	f.Add(`Basic YQ==`)
	f.Add(`Digest username="alice", realm="callrec", nonce="` + g.nonce() + `", uri="sip:call@127.0.0.1:5060", response="0", algorithm=SHA-256`)
	f.Fuzz(func(t *testing.T, header string) {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "call", Host: "127.0.0.1", Port: 5060})
		req.AppendHeader(sip.NewHeader("Authorization", header))
		v := g.check(req)
		if v.user != nil || (v.code != 400 && v.code != 401 && v.code != 403) {
			t.Fatalf("%q: %+v", header, v)
		}
	})
}
