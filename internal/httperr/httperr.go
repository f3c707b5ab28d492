// Package httperr maps callrec's coded errors to HTTP: one status per error
// kind, shared by every HTTP edge (the REST API and the media routes) so
// that a kind always means the same status.
package httperr

import (
	"net/http"

	"github.com/callrec/callrec"
)

// Status returns the HTTP status of an error kind.
func Status(k callrec.ErrorKind) int {
	switch k {
	case callrec.KindInvalid:
		return http.StatusBadRequest
	case callrec.KindUnauthorized:
		return http.StatusUnauthorized
	case callrec.KindForbidden:
		return http.StatusForbidden
	case callrec.KindNotFound:
		return http.StatusNotFound
	case callrec.KindMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case callrec.KindTimeout:
		return http.StatusRequestTimeout
	case callrec.KindConflict:
		return http.StatusConflict
	case callrec.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case callrec.KindUnsupported:
		return http.StatusUnsupportedMediaType
	case callrec.KindRangeNotSatisfiable:
		return http.StatusRequestedRangeNotSatisfiable
	case callrec.KindUnavailable:
		return http.StatusServiceUnavailable
	case callrec.KindStorageFull:
		return http.StatusInsufficientStorage
	case callrec.KindNotImplemented:
		return http.StatusNotImplemented
	default:
		return http.StatusInternalServerError
	}
}
