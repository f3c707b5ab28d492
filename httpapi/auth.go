package httpapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/callrec/callrec"
)

// signed reads the body (bounded), verifies the HMAC signature over it, and
// runs next. Errors from next are written as ACS error bodies.
func (s *Server) signed(w http.ResponseWriter, r *http.Request, content bool, next func(body []byte) error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			err = callrec.Errorf(callrec.KindTooLarge, callrec.CodeBodyTooLarge,
				"the request body is larger than %d bytes", s.cfg.MaxBodyBytes)
		} else {
			err = callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "reading the request body failed")
		}
		s.writeError(w, r, err, content)
		return
	}
	if err := s.cfg.Verifier.Verify(r, body); err != nil {
		s.writeError(w, r, err, content)
		return
	}
	if err := next(body); err != nil {
		s.writeError(w, r, err, content)
	}
}
