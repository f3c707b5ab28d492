package hmacauth

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// FuzzVerify feeds hostile Authorization, date and hash headers to the
// verifier: it must never panic, and must reject with a coded 401 error.
func FuzzVerify(f *testing.F) {
	f.Add("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=abc", "Wed, 26 Nov 2025 10:00:00 GMT", EmptyContentHash, "/calls/x?y=1", "")
	f.Add("HMAC-SHA256 ", "", "", "/", "body")
	f.Add("Bearer x", "garbage", "=", "/%zz", "\x00")
	f.Add("HMAC-SHA256 signature=&signedheaders=&&&=", "Mon, 02 Jan 2006 15:04:05 GMT", "", "//", "")
	now, _ := time.Parse(time.RFC1123, "Wed, 26 Nov 2025 10:00:00 GMT")
	v := &Verifier{Key: []byte("key"), Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, auth, date, hash, path, body string) {
		r := httptest.NewRequest("GET", "http://127.0.0.1/", nil)
		r.RequestURI = path
		r.Header.Set("Authorization", auth)
		r.Header.Set("x-ms-date", date)
		r.Header.Set("x-ms-content-sha256", hash)
		err := v.Verify(r, []byte(body))
		if err == nil {
			t.Fatalf("accepted a request no one signed: %q %q %q", auth, date, hash)
		}
		if callrec.KindOf(err) != callrec.KindUnauthorized {
			t.Fatalf("kind %s for %v", callrec.KindOf(err), err)
		}
	})
}
