package siprec

import (
	"errors"
	"fmt"
)

// refusal is why callrec refuses a SIPREC request: the SIP status code and
// reason phrase it answers, and the text of the Warning header.
type refusal struct {
	code   int
	reason string
	why    string
}

func (r *refusal) Error() string { return fmt.Sprintf("%d %s: %s", r.code, r.reason, r.why) }

func badRequest(format string, args ...any) error {
	return &refusal{400, "Bad Request", fmt.Sprintf(format, args...)}
}

func unsupportedMedia(format string, args ...any) error {
	return &refusal{415, "Unsupported Media Type", fmt.Sprintf(format, args...)}
}

func notAcceptable(format string, args ...any) error {
	return &refusal{488, "Not Acceptable Here", fmt.Sprintf(format, args...)}
}

// refusalOf returns err as a refusal; anything else is a 500.
func refusalOf(err error) *refusal {
	if r, ok := errors.AsType[*refusal](err); ok {
		return r
	}
	return &refusal{500, "Server Internal Error", err.Error()}
}
