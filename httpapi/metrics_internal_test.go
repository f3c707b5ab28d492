package httpapi

import (
	"strings"
	"testing"
)

// TestHTTPMetricsRoutes: a request to each route pattern, its variable
// segments filled with escaped ids, is labelled with that pattern; other
// paths are "unmatched".
func TestHTTPMetricsRoutes(t *testing.T) {
	for _, p := range routePatterns {
		segs := make([]string, len(p.segs))
		for i, s := range p.segs {
			segs[i] = s
			if strings.HasPrefix(s, "{") {
				_, action, _ := strings.Cut(s, "}:")
				segs[i] = "eyJhIjoiYiJ9%2Fx%3Ay%2B"
				if action != "" {
					segs[i] += ":" + action
				}
			}
		}
		path := "/" + strings.Join(segs, "/")
		if got := routeOf(path); got != p.text {
			t.Errorf("routeOf(%q) = %q, want %q", path, got, p.text)
		}
	}
	for path, want := range map[string]string{
		"/calling/recordings/abc:stop":   unmatchedRoute,
		"/calling/recordings/abc:pause":  "/calling/recordings/{recordingId}:pause",
		"/calling/recordings/abc/result": "/calling/recordings/{recordingId}/result",
		"/calls/":                        "/calls",
		"/calls/a/b/c":                   unmatchedRoute,
		"/":                              unmatchedRoute,
		"/metrics":                       unmatchedRoute,
		"/wp-admin/setup.php":            unmatchedRoute,
		"/events/deadLetters/7":          unmatchedRoute,
	} {
		if got := routeOf(path); got != want {
			t.Errorf("routeOf(%q) = %q, want %q", path, got, want)
		}
	}
}
