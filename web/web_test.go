package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestJoinPageServesPageAndAssets(t *testing.T) {
	srv := httptest.NewServer(JoinPage())
	defer srv.Close()
	cases := []struct{ path, contentType, contains string }{
		{"/join?call=abc&token=x.y", "text/html", `src="/join/join.js"`},
		{"/join/", "text/html", "<meter"},
		{"/join/join.js", "text/javascript", "/whip"},
		{"/join/join.css", "text/css", "meter"},
	}
	for _, c := range cases {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.contentType) ||
			!strings.Contains(string(body), c.contains) {
			t.Errorf("%s: %s %q, %d bytes", c.path, resp.Status, resp.Header.Get("Content-Type"), len(body))
		}
		if resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: the token could leak through Referer", c.path)
		}
	}
	resp, err := http.Get(srv.URL + "/join/missing.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: %s", resp.Status)
	}
}
