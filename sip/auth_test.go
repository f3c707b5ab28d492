package sip_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/internal/testserver"
)

// usersFile writes a --sip-auth-file and returns its path.
func usersFile(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sip-users")
	if err := os.WriteFile(p, []byte("# test users\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startAuthNode is a node whose SIP endpoint asks the users of lines for
// credentials.
func startAuthNode(t *testing.T, lines ...string) *node {
	t.Helper()
	users := usersFile(t, lines...)
	return nodeOf(t, testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.SIPAddr, c.SIPAuthFile = "127.0.0.1:0", users
	})))
}

// authClient sends single requests to the endpoint (sipgo).
type authClient struct {
	ph     *phone
	client *sipgo.Client
}

func newAuthClient(t *testing.T, ph *phone) *authClient {
	t.Helper()
	client, err := sipgo.NewClient(ph.ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return &authClient{ph: ph, client: client}
}

// request sends method to uri from the phone's user and returns the
// final answer.
func (c *authClient) request(ctx context.Context, t *testing.T, method sip.RequestMethod, uri sip.Uri, headers ...sip.Header) *sip.Response {
	t.Helper()
	req := sip.NewRequest(method, uri)
	req.AppendHeader(sip.NewHeader("From", "<sip:"+c.ph.from+"@127.0.0.1>;tag="+sip.GenerateTagN(8)))
	to := uri
	to.UriParams = nil
	if method == sip.REGISTER {
		to = sip.Uri{Scheme: "sip", User: c.ph.from, Host: "127.0.0.1"}
	}
	req.AppendHeader(&sip.ToHeader{Address: to})
	req.AppendHeader(sip.NewHeader("Contact", "<sip:"+c.ph.from+"@127.0.0.1:5999>"))
	for _, h := range headers {
		req.AppendHeader(h)
	}
	if method == sip.INVITE {
		req.SetBody(c.ph.offer("0", ""))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res, err := c.client.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return res
}

// challenges returns a 401's challenges by algorithm, in order.
func challenges(t *testing.T, res *sip.Response) []*digest.Challenge {
	t.Helper()
	if res.StatusCode != 401 {
		t.Fatalf("answered %d %s, want 401", res.StatusCode, res.Reason)
	}
	var out []*digest.Challenge
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatalf("WWW-Authenticate %q: %v", h.Value(), err)
		}
		out = append(out, c)
	}
	return out
}

// authorization answers chal for method to uri.
func authorization(t *testing.T, chal *digest.Challenge, method string, uri sip.Uri, user, password string) sip.Header {
	t.Helper()
	cred, err := digest.Digest(chal, digest.Options{Method: method, URI: uri.String(), Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return sip.NewHeader("Authorization", cred.String())
}

// TestDigestAuthentication: with --sip-auth-file, an INVITE without
// credentials gets 401 with a SHA-256 and an MD5 challenge (qop=auth,
// one nonce); the right password with either joins the call; a wrong one
// gets 403; a replayed Authorization gets a new challenge with
// stale=true; malformed credentials get 400. REGISTER binds a user's
// Contact (200 with Expires), refuses too short an interval (423) and
// another user's address (403).
func TestDigestAuthentication(t *testing.T) {
	n := startAuthNode(t, "alice:wonderland", "pbx:s3cret:pbx.example")
	ctx := t.Context()
	callID := n.createCall(t)
	ph := newPhone(t, n.sip, "alice")
	c := newAuthClient(t, ph)
	uri := ph.uri(callID, "udp")

	chals := challenges(t, c.request(ctx, t, sip.INVITE, uri))
	if len(chals) != 2 || chals[0].Algorithm != "SHA-256" || chals[1].Algorithm != "MD5" {
		t.Fatalf("challenges %+v: want SHA-256 then MD5", chals)
	}
	for _, ch := range chals {
		if ch.Realm != "callrec" || !ch.SupportsQOP("auth") || ch.Stale || ch.Nonce != chals[0].Nonce {
			t.Errorf("challenge %+v: want realm callrec, qop auth, not stale, one nonce", ch)
		}
	}
	if pbx := challenges(t, newAuthClient(t, newPhone(t, n.sip, "pbx")).request(ctx, t, sip.INVITE, uri)); pbx[0].Realm != "pbx.example" {
		t.Errorf("pbx challenged in realm %q, want its own pbx.example", pbx[0].Realm)
	}

	var replay sip.Header
	for i, ch := range chals {
		t.Run(ch.Algorithm, func(t *testing.T) {
			if res := c.request(ctx, t, sip.INVITE, uri, authorization(t, ch, "INVITE", uri, "alice", "looking-glass")); res.StatusCode != 403 {
				t.Errorf("wrong password answered %d, want 403", res.StatusCode)
			}
			fresh := challenges(t, c.request(ctx, t, sip.INVITE, uri))[i]
			auth := authorization(t, fresh, "INVITE", uri, "alice", "wonderland")
			s, code, _ := ph.call(ctx, callID, "udp", ph.offer("0", ""), auth)
			if code != 200 {
				t.Fatalf("right %s credentials answered %d", ch.Algorithm, code)
			}
			n.waitParticipants(t, callID, []string{"sip:alice@127.0.0.1"})
			if err := s.Bye(ctx); err != nil {
				t.Fatal(err)
			}
			n.waitParticipants(t, callID, nil)
			replay = auth
		})
	}
	t.Run("replayed", func(t *testing.T) {
		again := challenges(t, c.request(ctx, t, sip.INVITE, uri, replay))
		if len(again) != 2 || !again[0].Stale || !again[1].Stale || again[0].Nonce == chals[0].Nonce {
			t.Errorf("replayed credentials challenged %+v: want stale=true and a new nonce", again)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		for _, v := range []string{`Basic YWxpY2U6d29uZGVybGFuZA==`, `Digest username="alice"`,
			`Digest username="alice", realm="callrec", nonce="x", uri="sip:127.0.0.2", response="00", algorithm=MD5`,
			`Digest username="alice", realm="callrec", nonce="x", uri="` + uri.String() + `", response="00", algorithm=SHA-512-256`} {
			if res := c.request(ctx, t, sip.INVITE, uri, sip.NewHeader("Authorization", v)); res.StatusCode != 400 {
				t.Errorf("Authorization %s answered %d, want 400", v, res.StatusCode)
			}
		}
	})
	t.Run("REGISTER", func(t *testing.T) {
		reg := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(n.sip.Port())}
		ch := challenges(t, c.request(ctx, t, sip.REGISTER, reg))[0]
		res := c.request(ctx, t, sip.REGISTER, reg, authorization(t, ch, "REGISTER", reg, "alice", "wonderland"))
		exp := res.GetHeader("Expires")
		if res.StatusCode != 200 || exp == nil || res.Contact() == nil {
			t.Fatalf("REGISTER answered %d (Expires %v, Contact %v), want 200 with both", res.StatusCode, exp, res.Contact())
		}
		if e, err := strconv.Atoi(exp.Value()); err != nil || e < 3590 || e > 3600 {
			t.Errorf("Expires %q, want 3600", exp.Value())
		}
		if got := res.Contact().Address; got.User != "alice" || got.Port != 5999 {
			t.Errorf("bound Contact %s", got.String())
		}
		ch = challenges(t, c.request(ctx, t, sip.REGISTER, reg))[0]
		res = c.request(ctx, t, sip.REGISTER, reg, authorization(t, ch, "REGISTER", reg, "alice", "wonderland"), sip.NewHeader("Expires", "30"))
		if res.StatusCode != 423 || res.GetHeader("Min-Expires") == nil {
			t.Errorf("Expires 30 answered %d, want 423 with Min-Expires", res.StatusCode)
		}
		// pbx's credentials for alice's address.
		pc := newAuthClient(t, newPhone(t, n.sip, "pbx"))
		ch = challenges(t, pc.request(ctx, t, sip.REGISTER, reg))[0]
		req := sip.NewRequest(sip.REGISTER, reg)
		req.AppendHeader(sip.NewHeader("From", "<sip:pbx@127.0.0.1>;tag=x1"))
		req.AppendHeader(sip.NewHeader("To", "<sip:alice@127.0.0.1>"))
		req.AppendHeader(sip.NewHeader("Contact", "<sip:pbx@127.0.0.1:5998>"))
		req.AppendHeader(authorization(t, ch, "REGISTER", reg, "pbx", "s3cret"))
		if res, err := pc.client.Do(ctx, req); err != nil || res.StatusCode != 403 {
			t.Errorf("pbx registering alice: %v %v, want 403", res, err)
		}
	})
}
