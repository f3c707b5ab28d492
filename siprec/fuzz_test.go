package siprec

import "testing"

// FuzzParseMetadata: any document parses or is refused, without panic,
// and what parses merges into what came before.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(rfcDoc))
	f.Add([]byte(legacyDoc))
	f.Add([]byte(`<recording><datamode>partial</datamode><participant participant_id="x"><send>s</send></participant></recording>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMetadata(b)
		if err != nil {
			return
		}
		base, _ := ParseMetadata([]byte(rfcDoc))
		base.Merge(m)
		for _, p := range base.Participants {
			_ = RawID(p)
		}
	})
}

// FuzzParseBody: any body and Content-Type is split or refused with a
// refusal, without panic; the SDP part's offer too.
func FuzzParseBody(f *testing.F) {
	f.Add("multipart/mixed;boundary=foobar", []byte("--foobar\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 1 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=label:1\r\n--foobar--\r\n"))
	f.Add("application/sdp", []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 8\r\na=label:1\r\n"))
	f.Fuzz(func(t *testing.T, ct string, b []byte) {
		body, err := ParseBody(ct, b)
		if err != nil {
			if refusalOf(err).code == 500 {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if body.SDP != nil {
			if _, err := parseOffer(body.SDP); err != nil && refusalOf(err).code == 500 {
				t.Fatalf("not a refusal: %v", err)
			}
		}
	})
}
