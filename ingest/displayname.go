package ingest

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/callrec/callrec"
)

// CodeInvalidDisplayName is a WHIP URL's name that is not a display name.
const CodeInvalidDisplayName = "InvalidDisplayName"

// maxDisplayNameRunes bounds a display name (a tile's label shows fewer).
const maxDisplayNameRunes = 64

// displayName returns the participant's display name, from the WHIP URL's
// query parameter name (POST /calls/{id}/whip?name=Alice; the join page
// sends its name field there): "" without one. A name that is not UTF-8,
// holds control characters or is longer than 64 characters is 400
// InvalidDisplayName.
func displayName(r *http.Request) (string, error) {
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	switch {
	case !utf8.ValidString(name):
		return "", callrec.Errorf(callrec.KindInvalid, CodeInvalidDisplayName, "the display name (name) is not UTF-8")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", callrec.Errorf(callrec.KindInvalid, CodeInvalidDisplayName, "the display name (name) holds control characters")
	case utf8.RuneCountInString(name) > maxDisplayNameRunes:
		return "", callrec.Errorf(callrec.KindInvalid, CodeInvalidDisplayName,
			"the display name (name) is longer than %d characters", maxDisplayNameRunes)
	}
	return name, nil
}

// DisplayName implements callmedia.DisplayNamer: the name the WHIP URL
// gave, "" without one.
func (s *session) DisplayName() string { return s.name }
