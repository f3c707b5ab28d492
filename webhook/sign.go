package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec"
)

// SignatureHeader carries the HMAC of a delivery's body.
const SignatureHeader = "callrec-signature"

// Error codes of signature verification.
const (
	CodeSignatureMissing = "SignatureMissing"
	CodeSignatureInvalid = "SignatureInvalid"
	CodeSignatureStale   = "SignatureTimestampOutOfRange"
)

// SignBody returns the callrec-signature header value for body sent at t:
// "t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
func SignBody(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(bodyMAC(secret, ts, body))
}

func bodyMAC(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a callrec-signature header value against body, for
// receivers: one of its v1 values must be the HMAC of t + "." + body under
// secret (compared in constant time), and t must be within tolerance of now.
// It returns a coded *callrec.Error (KindUnauthorized) on failure.
func VerifySignature(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return callrec.Errorf(callrec.KindUnauthorized, CodeSignatureMissing, "no %s header", SignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return callrec.Errorf(callrec.KindUnauthorized, CodeSignatureInvalid, "malformed %s element %q", SignatureHeader, part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil {
				return callrec.Errorf(callrec.KindUnauthorized, CodeSignatureInvalid, "v1 is not hex")
			}
			sigs = append(sigs, sig)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return callrec.Errorf(callrec.KindUnauthorized, CodeSignatureInvalid, "t is not a unix time")
	}
	if len(sigs) == 0 {
		return callrec.Errorf(callrec.KindUnauthorized, CodeSignatureInvalid, "no v1 signature")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return callrec.Errorf(callrec.KindUnauthorized, CodeSignatureStale, "signature time is %s from now, more than %s", d.Round(time.Second), tolerance)
	}
	want := bodyMAC(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return callrec.Errorf(callrec.KindUnauthorized, CodeSignatureInvalid, "signature does not match body")
}
