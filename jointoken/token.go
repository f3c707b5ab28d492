// Package jointoken issues and verifies join tokens: the bearer credentials
// with which a participant joins a call's media (a WHIP POST today). A token
// names one call and one participant (an ACS raw id) and expires; it is
// signed with a key derived from the service's access key, so it needs no
// secret of its own and is never valid as an HMAC request signature.
package jointoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/callrec/callrec"
)

// Error codes of join tokens.
const (
	CodeMissingToken    = "MissingToken"
	CodeInvalidToken    = "InvalidToken"
	CodeTokenExpired    = "TokenExpired"
	CodeTokenWrongCall  = "TokenNotForThisCall"
	CodeInvalidRawID    = "InvalidParticipantId"
	tokenKeyDerivation  = "callrec join token v1"
	maxTokenLength      = 2048
	maxRawIDLength      = 256
	defaultTokenTTL     = time.Hour
	maxTokenTTL         = 7 * 24 * time.Hour
	tokenClockTolerance = 30 * time.Second
)

// tokenClaims is the signed payload of a join token.
type tokenClaims struct {
	Version int    `json:"v"`
	CallID  string `json:"c"`
	RawID   string `json:"p"`
	Expiry  int64  `json:"e"` // Unix seconds
}

// Claims are what a verified join token grants: RawID may join CallID
// until Expiry.
type Claims struct {
	CallID string
	RawID  string
	Expiry time.Time
}

// deriveTokenKey derives the join-token signing key from the access key, so
// that tokens need no secret of their own and are never valid as HMAC
// request signatures.
func deriveTokenKey(accessKey []byte) []byte {
	m := hmac.New(sha256.New, accessKey)
	m.Write([]byte(tokenKeyDerivation))
	return m.Sum(nil)
}

// ClampTTL returns ttl bounded to (0, 7 days]; zero or negative means the
// default of one hour.
func ClampTTL(ttl time.Duration) time.Duration {
	switch {
	case ttl <= 0:
		return defaultTokenTTL
	case ttl > maxTokenTTL:
		return maxTokenTTL
	}
	return ttl
}

// Mint returns a join token that lets rawID join callID until
// now+ttl (ttl clamped by ClampTTL), and that expiry. accessKey is the
// service's access key (decoded bytes); the token key is derived from it.
// The token is base64url(JSON claims) "." base64url(HMAC-SHA256).
func Mint(accessKey []byte, callID, rawID string, ttl time.Duration, now time.Time) (string, time.Time) {
	expiry := now.Add(ClampTTL(ttl)).Truncate(time.Second)
	payload, _ := json.Marshal(tokenClaims{Version: 1, CallID: callID, RawID: rawID, Expiry: expiry.Unix()})
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + signToken(deriveTokenKey(accessKey), body), expiry
}

func signToken(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks token's signature and expiry and that it was issued for
// callID. It returns coded errors: 401 InvalidToken or TokenExpired, 403
// TokenNotForThisCall.
func Verify(accessKey []byte, token, callID string, now time.Time) (Claims, error) {
	invalid := callrec.Errorf(callrec.KindUnauthorized, CodeInvalidToken, "the join token is malformed or its signature is wrong")
	if len(token) > maxTokenLength {
		return Claims{}, invalid
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok || body == "" || sig == "" {
		return Claims{}, invalid
	}
	want := signToken(deriveTokenKey(accessKey), body)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return Claims{}, invalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Claims{}, invalid
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Version != 1 || c.CallID == "" || ValidateRawID(c.RawID) != nil {
		return Claims{}, invalid
	}
	expiry := time.Unix(c.Expiry, 0)
	if now.After(expiry.Add(tokenClockTolerance)) {
		return Claims{}, callrec.Errorf(callrec.KindUnauthorized, CodeTokenExpired,
			"the join token expired at %s", expiry.UTC().Format(time.RFC3339))
	}
	if c.CallID != callID {
		return Claims{}, callrec.Errorf(callrec.KindForbidden, CodeTokenWrongCall,
			"the join token was issued for another call")
	}
	return Claims{CallID: c.CallID, RawID: c.RawID, Expiry: expiry}, nil
}

// ValidateRawID checks that s looks like an ACS raw identifier:
// "<type digits>:<id>", for example "8:acs:<resource>_<user>" for a
// communication user or "4:+14255550123" for a phone number; at most 256
// printable characters.
func ValidateRawID(s string) error {
	bad := func(why string) error {
		return &callrec.Error{Kind: callrec.KindInvalid, Code: CodeInvalidRawID, Target: "participant",
			Message: "participant must be an ACS raw id such as 8:acs:… or 4:+1…: " + why}
	}
	if s == "" || len(s) > maxRawIDLength {
		return bad("length must be 1–256")
	}
	prefix, rest, ok := strings.Cut(s, ":")
	if !ok || prefix == "" || rest == "" || strings.Trim(prefix, "0123456789") != "" {
		return bad("no numeric type prefix")
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f {
			return bad("contains a space or control character")
		}
	}
	if prefix == "4" && !isPhoneNumber(rest) {
		return bad("4: must be followed by a phone number like +14255550123")
	}
	return nil
}

func isPhoneNumber(s string) bool {
	digits := strings.TrimPrefix(s, "+")
	return len(digits) >= 3 && len(digits) <= 20 && strings.Trim(digits, "0123456789") == ""
}
