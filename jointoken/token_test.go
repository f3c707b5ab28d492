package jointoken

import (
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

func TestTokenRoundTrip(t *testing.T) {
	key := []byte("access key bytes")
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tok, exp := Mint(key, "call-1", "8:acs:res_user", 10*time.Minute, now)
	if !exp.Equal(now.Add(10 * time.Minute)) {
		t.Fatalf("expiry %v", exp)
	}
	c, err := Verify(key, tok, "call-1", now.Add(9*time.Minute))
	if err != nil || c.RawID != "8:acs:res_user" || c.CallID != "call-1" || !c.Expiry.Equal(exp) {
		t.Fatalf("verify: %+v, %v", c, err)
	}
	check := func(name, token, call string, at time.Time, kind callrec.ErrorKind, code string) {
		t.Helper()
		_, err := Verify(key, token, call, at)
		if callrec.KindOf(err) != kind || callrec.CodeOf(err) != code {
			t.Errorf("%s: got %v, want %s %s", name, err, kind, code)
		}
	}
	check("expired", tok, "call-1", now.Add(11*time.Minute), callrec.KindUnauthorized, CodeTokenExpired)
	check("other call", tok, "call-2", now, callrec.KindForbidden, CodeTokenWrongCall)
	_, err = Verify([]byte("other key"), tok, "call-1", now)
	if callrec.CodeOf(err) != CodeInvalidToken {
		t.Errorf("other key: %v", err)
	}
	body, sig, _ := strings.Cut(tok, ".")
	check("no signature", body, "call-1", now, callrec.KindUnauthorized, CodeInvalidToken)
	check("swapped", sig+"."+body, "call-1", now, callrec.KindUnauthorized, CodeInvalidToken)
	check("huge", strings.Repeat("a", 5000)+"."+sig, "call-1", now, callrec.KindUnauthorized, CodeInvalidToken)
	// The token key is derived: the raw access key never signs tokens.
	if string(deriveTokenKey(key)) == string(key) {
		t.Fatal("token key equals the access key")
	}
}

func TestClampTTL(t *testing.T) {
	if ClampTTL(0) != time.Hour || ClampTTL(-time.Second) != time.Hour || ClampTTL(30*24*time.Hour) != 7*24*time.Hour {
		t.Fatal("clamp")
	}
}

func TestValidateRawID(t *testing.T) {
	for _, ok := range []string{"8:acs:1234_abcd", "4:+14255550123", "4:14255550123", "8:teamsvisitor:x", "28:bot"} {
		if err := ValidateRawID(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "acs:x", ":x", "8:", "8:has space", "4:+12ab", "x:y", strings.Repeat("8", 300)} {
		if err := ValidateRawID(bad); callrec.CodeOf(err) != CodeInvalidRawID {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}
