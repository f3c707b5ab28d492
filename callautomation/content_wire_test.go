package callautomation

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/hmacauth"
)

// testDocument is a file whose every byte depends on its position, so a
// shifted or repeated range shows.
func testDocument(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func serveDocument(doc []byte) func(w http.ResponseWriter, r *http.Request, n int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(200)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(doc))
	}
}

// TestContentRequestsAreSignedForTheEndpoint checks the official SDKs'
// content signing: the endpoint's host (in x-ms-host) and the content URL's
// path without its query, sent to the content URL itself.
func TestContentRequestsAreSignedForTheEndpoint(t *testing.T) {
	doc := testDocument(5000)
	content := newWireServer(t, serveDocument(doc))
	endpoint := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		t.Errorf("request reached the endpoint: %s %s", r.Method, r.RequestURI)
	})
	contentURL, _ := url.Parse(content.URL)
	c := endpoint.client(t, &ClientOptions{ContentHosts: []string{contentURL.Host}})
	endpointHost := strings.TrimPrefix(endpoint.URL, "http://")

	rec := c.CallRecording()
	ctx := context.Background()
	loc := content.URL + "/v1/objects/0-doc%2B1/content/audio?token=abc"
	body, err := rec.DownloadStreaming(ctx, loc, &HTTPRange{Offset: 100, Length: 50})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if err != nil || !bytes.Equal(got, doc[100:150]) {
		t.Fatalf("range read %d bytes (%v), want bytes 100-149", len(got), err)
	}
	if err := rec.Delete(ctx, content.URL+"/v1/objects/0-doc%2B1"); err != nil {
		t.Fatal(err)
	}
	reqs := content.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	checks := []struct{ method, target, signedPath, rng string }{
		{"GET", "/v1/objects/0-doc%2B1/content/audio?token=abc", "/v1/objects/0-doc%2B1/content/audio", "bytes=100-149"},
		{"DELETE", "/v1/objects/0-doc%2B1", "/v1/objects/0-doc%2B1", ""},
	}
	for i, want := range checks {
		r := reqs[i]
		if r.Method != want.method || r.Target != want.target || r.Host != contentURL.Host {
			t.Errorf("request %d: %s %s Host %s", i, r.Method, r.Target, r.Host)
		}
		if r.Header.Get("x-ms-host") != endpointHost || r.Header.Get("Range") != want.rng {
			t.Errorf("request %d: x-ms-host %q Range %q", i, r.Header.Get("x-ms-host"), r.Header.Get("Range"))
		}
		sts := hmacauth.StringToSign(want.method, want.signedPath, r.Header.Get("x-ms-date"), endpointHost, hmacauth.EmptyContentHash)
		if r.Header.Get("Authorization") != hmacauth.AuthorizationValue(hmacauth.Signature(testKey, sts)) {
			t.Errorf("request %d: signature is not over %q", i, sts)
		}
	}
}

func TestContentURLsToOtherHostsAreRefused(t *testing.T) {
	other := newWireServer(t, serveDocument(testDocument(10)))
	endpoint := newWireServer(t, serveDocument(testDocument(10)))
	c := endpoint.client(t, nil)
	rec := c.CallRecording()
	ctx := context.Background()
	for _, u := range []string{other.URL + "/v1/objects/x/content/audio", "ftp://" + strings.TrimPrefix(endpoint.URL, "http://") + "/x", ""} {
		if _, err := rec.DownloadStreaming(ctx, u, nil); err == nil {
			t.Errorf("download of %q allowed", u)
		}
		if err := rec.Delete(ctx, u); err == nil {
			t.Errorf("delete of %q allowed", u)
		}
	}
	if n := len(other.requests()) + len(endpoint.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	// A relative location resolves against the endpoint.
	s, err := rec.OpenContent(ctx, "/v1/objects/x/content/audio", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if r := endpoint.requests(); len(r) != 1 || r[0].Target != "/v1/objects/x/content/audio" {
		t.Errorf("relative location: %+v", r)
	}
}

func TestOpenContentReportsSizes(t *testing.T) {
	doc := testDocument(3000)
	srv := newWireServer(t, serveDocument(doc))
	rec := srv.client(t, nil).CallRecording()
	ctx := context.Background()
	cases := []struct {
		rng            *HTTPRange
		status         int
		length, first  int64
		wantContentLen int64
	}{
		{nil, 200, 3000, 0, 3000},
		{&HTTPRange{Offset: 0, Length: 10}, 206, 10, 0, 10},
		{&HTTPRange{Offset: 2990}, 206, 10, 2990, 10},
		{&HTTPRange{Offset: 2990, Length: 100}, 206, 10, 2990, 10},
	}
	for _, c := range cases {
		s, err := rec.OpenContent(ctx, srv.URL+"/v1/objects/d/content/audio", c.rng)
		if err != nil {
			t.Fatalf("%+v: %v", c.rng, err)
		}
		got, err := io.ReadAll(s)
		s.Close()
		if err != nil || s.StatusCode != c.status || s.Size != 3000 || s.ContentLength != c.wantContentLen ||
			!bytes.Equal(got, doc[c.first:c.first+c.length]) || s.ContentType != "audio/wav" {
			t.Errorf("%+v: status %d size %d length %d read %d, %v", c.rng, s.StatusCode, s.Size, s.ContentLength, len(got), err)
		}
	}
	_, err := rec.OpenContent(ctx, srv.URL+"/v1/objects/d/content/audio", &HTTPRange{Offset: 5000})
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range past the end: %v", err)
	}
}

// TestRangeIgnoredByServer: a server (or proxy) may answer a range request
// with the whole file; the stream still yields only the bytes asked for.
func TestRangeIgnoredByServer(t *testing.T) {
	doc := testDocument(2000)
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(doc)
	})
	rec := srv.client(t, nil).CallRecording()
	for _, c := range []struct {
		rng        HTTPRange
		first, end int
	}{{HTTPRange{Offset: 100, Length: 50}, 100, 150}, {HTTPRange{Offset: 1990}, 1990, 2000}, {HTTPRange{Length: 7}, 0, 7}, {HTTPRange{Offset: 1990, Length: 50}, 1990, 2000}} {
		s, err := rec.OpenContent(context.Background(), srv.URL+"/v1/objects/d/content/audio", &c.rng)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(s)
		s.Close()
		if err != nil || !bytes.Equal(got, doc[c.first:c.end]) || s.ContentLength != int64(c.end-c.first) || s.StatusCode != 200 {
			t.Errorf("%+v: read %d bytes, ContentLength %d, %v", c.rng, len(got), s.ContentLength, err)
		}
	}
	if _, err := rec.OpenContent(context.Background(), srv.URL+"/v1/objects/d/content/audio", &HTTPRange{Offset: 5000}); err == nil {
		t.Error("offset beyond a whole-file answer accepted")
	}
}

// TestDownloadToResumesABrokenDownload cuts the connection mid-file twice;
// DownloadTo resumes with range requests and writes each byte once.
func TestDownloadToResumesABrokenDownload(t *testing.T) {
	doc := testDocument(300_000)
	cuts := map[int]int{0: 100_000, 1: 50_000} // request number → bytes sent before the cut
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("ETag", `"v1"`)
		cut, ok := cuts[n]
		if !ok {
			serveDocument(doc)(w, r, n)
			return
		}
		start := 0
		if v := r.Header.Get("Range"); v != "" {
			first, _, _ := strings.Cut(strings.TrimPrefix(v, "bytes="), "-")
			start, _ = strconv.Atoi(first)
			w.Header().Set("Content-Range", "bytes "+strconv.Itoa(start)+"-"+strconv.Itoa(len(doc)-1)+"/"+strconv.Itoa(len(doc)))
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)-start))
			w.WriteHeader(206)
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
			w.WriteHeader(200)
		}
		w.Write(doc[start : start+cut])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	rec := srv.client(t, nil).CallRecording()
	var out bytes.Buffer
	n, err := rec.DownloadTo(context.Background(), srv.URL+"/v1/objects/d/content/audio", &out)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(doc)) || !bytes.Equal(out.Bytes(), doc) {
		t.Fatalf("wrote %d bytes, equal %v", n, bytes.Equal(out.Bytes(), doc))
	}
	var ranges []string
	for _, r := range srv.requests() {
		ranges = append(ranges, r.Header.Get("Range")+" "+r.Header.Get("If-Range"))
	}
	if strings.Join(ranges, ",") != ` ,bytes=100000- "v1",bytes=150000- "v1"` {
		t.Errorf("ranges %q", ranges)
	}
}

// TestDownloadToRefusesToSpliceAChangedFile: when the file changes between
// the broken download and its resumption, If-Range makes the server send
// the new file whole, and DownloadTo fails instead of splicing two files.
func TestDownloadToRefusesToSpliceAChangedFile(t *testing.T) {
	v1, v2 := testDocument(200_000), bytes.Repeat([]byte{0x55}, 200_000)
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Length", strconv.Itoa(len(v1)))
			w.WriteHeader(200)
			w.Write(v1[:1000])
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("ETag", `"v2"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(v2))
	})
	rec := srv.client(t, nil).CallRecording()
	var out bytes.Buffer
	_, err := rec.DownloadTo(context.Background(), srv.URL+"/v1/objects/d/content/audio", &out)
	if err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("got %v, want an error saying the file changed", err)
	}
	if bytes.Contains(out.Bytes(), []byte{0x55, 0x55, 0x55, 0x55}) {
		t.Error("bytes of the new version were written after the old")
	}
}

func TestDownloadToStopsOnWriteErrors(t *testing.T) {
	srv := newWireServer(t, serveDocument(testDocument(100_000)))
	rec := srv.client(t, nil).CallRecording()
	_, err := rec.DownloadTo(context.Background(), srv.URL+"/v1/objects/d/content/audio", failingWriter{})
	if !errors.Is(err, errDiskFull) {
		t.Errorf("got %v", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests after a write error, want 1", n)
	}
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errDiskFull }
