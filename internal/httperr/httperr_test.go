package httperr

import (
	"net/http"
	"testing"

	"github.com/callrec/callrec"
)

func TestEveryKindHasItsOwnStatus(t *testing.T) {
	kinds := map[callrec.ErrorKind]int{
		callrec.KindInvalid: 400, callrec.KindUnauthorized: 401, callrec.KindForbidden: 403,
		callrec.KindNotFound: 404, callrec.KindMethodNotAllowed: 405, callrec.KindConflict: 409, callrec.KindTimeout: 408,
		callrec.KindTooLarge: 413, callrec.KindUnsupported: 415, callrec.KindRangeNotSatisfiable: 416,
		callrec.KindUnavailable: 503, callrec.KindStorageFull: 507, callrec.KindNotImplemented: 501, callrec.KindInternal: 500, "unknown": 500,
	}
	for k, want := range kinds {
		if got := Status(k); got != want {
			t.Errorf("%s: %d (%s), want %d", k, got, http.StatusText(got), want)
		}
	}
}
