package httpapi

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/hmacauth"
)

// signed verifies the HMAC signature of a request and runs next with its
// body. Everything that does not need the body is checked first (the
// signature covers the declared content hash), so a client without the key
// never makes the server read a body: it is answered 401 and its connection
// closed. At most Config.MaxVerifying requests are verified at once, which
// bounds the bodies held in memory. Content routes (content true) ignore the
// query, so their signature need not cover it. Errors from next are written
// as ACS error bodies.
func (s *Server) signed(w http.ResponseWriter, r *http.Request, content bool, next func(body []byte) error) {
	release, err := s.acquireVerify(r.Context())
	if err != nil {
		s.rejectEarly(w, r, err, content)
		return
	}
	body, err := s.verifiedBody(w, r, content)
	release()
	if err != nil {
		s.rejectEarly(w, r, err, content)
		return
	}
	if err := next(body); err != nil {
		s.writeError(w, r, err, content)
	}
}

// verifiedBody checks r's signature headers, then reads its body (bounded
// in size and time) and checks it against the signed hash.
func (s *Server) verifiedBody(w http.ResponseWriter, r *http.Request, content bool) ([]byte, error) {
	scope := hmacauth.QuerySigned
	if content {
		scope = hmacauth.QueryIgnored
	}
	if err := s.cfg.Verifier.VerifyHeaders(r, scope); err != nil {
		return nil, err
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		discardSigned(w, r)
		return nil, s.tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return nil, s.tooLarge()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, callrec.Errorf(callrec.KindTimeout, callrec.CodeRequestTimeout,
				"the request body did not arrive within %s", s.timeouts.Body)
		}
		return nil, callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "reading the request body failed")
	}
	if err := hmacauth.VerifyBody(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// maxDiscard bounds the oversized body of a signed request that is read and
// thrown away before its 413 is sent.
const maxDiscard = 32 << 20

// discardSigned reads and drops the body of a signed request that is refused
// for its size, so that the client reads its 413 instead of a connection
// reset while it is still sending. The signature over the headers is already
// checked, so only key holders get this; nothing is kept in memory, and the
// read is bounded in size (maxDiscard) and time (rejectDrain). A client that
// asked Expect: 100-continue has sent nothing yet: it gets its answer
// without being told to continue.
func discardSigned(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > maxDiscard || strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(5 * rejectDrain))
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, r.ContentLength))
}

func (s *Server) tooLarge() error {
	return callrec.Errorf(callrec.KindTooLarge, callrec.CodeBodyTooLarge,
		"the request body is larger than %d bytes", s.cfg.MaxBodyBytes)
}
