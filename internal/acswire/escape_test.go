package acswire

import (
	"net/url"
	"strings"
	"testing"
)

func TestEscapeComponentMatchesEncodeURIComponent(t *testing.T) {
	cases := map[string]string{
		"eyJhIjoiYiJ9+/=:x": "eyJhIjoiYiJ9%2B%2F%3D%3Ax", // captured from the JS SDK
		"a b?c#d&e":         "a%20b%3Fc%23d%26e",
		"-_.!~*'()":         "-_.!~*'()",
		"é":                 "%C3%A9",
		"%2F":               "%252F",
		"":                  "",
	}
	for in, want := range cases {
		if got := EscapeComponent(in); got != want {
			t.Errorf("EscapeComponent(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzEscapeComponent(f *testing.F) {
	f.Add("eyJhIjoiYiJ9+/=:x")
	f.Add("a/b:c%")
	f.Fuzz(func(t *testing.T, s string) {
		e := EscapeComponent(s)
		if strings.ContainsAny(e, "/:?#+=&@ ") {
			t.Fatalf("%q escaped to %q, which keeps a reserved character", s, e)
		}
		back, err := url.PathUnescape(e)
		if err != nil || back != s {
			t.Fatalf("%q escaped to %q, which unescapes to %q (%v)", s, e, back, err)
		}
	})
}
