package webhook

import (
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// Known answers computed with openssl, independently of this package:
//
//	printf '%s' '1700000000.[{"id":"1"}]' | openssl dgst -sha256 -hmac whsec_test -hex
func TestSignBodyKnownAnswer(t *testing.T) {
	got := SignBody("whsec_test", time.Unix(1700000000, 0), []byte(`[{"id":"1"}]`))
	want := "t=1700000000,v1=cd99e3b20a2a255d5b08486d8d90c0d6cb44679aba9d5ea20b14c786351a29c9"
	if got != want {
		t.Errorf("SignBody = %s\nwant       %s", got, want)
	}
	if got := SignBody("k", time.Unix(1700000000, 0), nil); got != "t=1700000000,v1=5c2999a43333a6877f49c8003f235c4f6de40f85b1b7414b70bd470a8db53d97" {
		t.Errorf("SignBody(empty body) = %s", got)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`[{"id":"1"}]`)
	at := time.Unix(1700000000, 0)
	good := SignBody("whsec_test", at, body)
	other := SignBody("old-key", at, body)
	for _, tc := range []struct {
		name, header, secret string
		body                 []byte
		now                  time.Time
		code                 string // "" means valid
	}{
		{"valid", good, "whsec_test", body, at.Add(10 * time.Second), ""},
		{"rotation: second v1 matches", other + ",v1=" + good[len("t=1700000000,v1="):], "whsec_test", body, at, ""},
		{"tampered body", good, "whsec_test", []byte(`[{"id":"2"}]`), at, CodeSignatureInvalid},
		{"wrong secret", good, "nope", body, at, CodeSignatureInvalid},
		{"stale", good, "whsec_test", body, at.Add(6 * time.Minute), CodeSignatureStale},
		{"from the future", good, "whsec_test", body, at.Add(-6 * time.Minute), CodeSignatureStale},
		{"missing", "", "whsec_test", body, at, CodeSignatureMissing},
		{"no v1", "t=1700000000", "whsec_test", body, at, CodeSignatureInvalid},
		{"bad hex", "t=1700000000,v1=zz", "whsec_test", body, at, CodeSignatureInvalid},
		{"bad t", "t=soon,v1=00", "whsec_test", body, at, CodeSignatureInvalid},
		{"no equals", "garbage", "whsec_test", body, at, CodeSignatureInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.header, tc.secret, tc.body, tc.now, 5*time.Minute)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if callrec.CodeOf(err) != tc.code || callrec.KindOf(err) != callrec.KindUnauthorized {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
		})
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add("t=1700000000,v1=cd99e3b20a2a255d5b08486d8d90c0d6cb44679aba9d5ea20b14c786351a29c9", []byte(`[{"id":"1"}]`))
	f.Add("t=,v1=,v1", []byte{})
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		at := time.Unix(1700000000, 0)
		err := VerifySignature(header, "whsec_test", body, at, time.Minute)
		if err == nil && VerifySignature(SignBody("whsec_test", at, body), "whsec_test", body, at, time.Minute) != nil {
			t.Fatal("own signature rejected")
		}
		if err != nil && callrec.KindOf(err) != callrec.KindUnauthorized {
			t.Fatalf("uncoded error %v", err)
		}
	})
}
