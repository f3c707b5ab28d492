package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/testserver"
)

// client sends requests signed as the official SDKs sign them.
type client struct {
	t    *testing.T
	base *url.URL
	key  []byte
	now  func() time.Time
}

func newClient(t *testing.T, s *testserver.Server) *client {
	cs, err := hmacauth.ParseConnectionString(s.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: cs.Endpoint, key: cs.Key, now: time.Now}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return m
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// do sends method target (escaped path and query) with body, signed.
func (c *client) do(method, target string, body []byte, edit ...func(*http.Request)) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base.String()+target, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hmacauth.Sign(req, c.key, c.base.Host, target, body, c.now())
	for _, e := range edit {
		e(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	isMedia := resp.StatusCode < 300 && strings.Contains(target, "/content/")
	if ct := resp.Header.Get("Content-Type"); len(b) > 0 && !isMedia && !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("%s %s: Content-Type %q", method, target, ct)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (c *client) createCall(id string) string {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"serverCallId": id})
	r := c.do("POST", "/calls", body)
	if r.status != 201 {
		c.t.Fatalf("create call: %d %s", r.status, r.body)
	}
	return r.json(c.t)["serverCallId"].(string)
}

func (c *client) start(body string) response {
	return c.do("POST", "/calling/recordings?api-version=2025-06-15", []byte(body))
}

func TestRecordingLifecycleOnEscapedIDs(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	callID := c.createCall("aHR0cHM6Ly9za3lwZS5uZXQvY29udi8x+/=")
	r := c.start(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"aHR0cHM6Ly9za3lwZS5uZXQvY29udi8x+/="},"recordingContentType":"Audio","recordingChannelType":"MIXED","recordingFormatType":"wav"}`)
	if r.status != 200 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	id := r.json(t)["recordingId"].(string)
	if r.json(t)["recordingKind"] != "azureCommunicationServices" || r.json(t)["recordingState"] != "active" {
		t.Fatalf("start body %s", r.body)
	}
	esc := escape(id)
	steps := []struct {
		method, target string
		status         int
		state          string
	}{
		{"GET", "/calling/recordings/" + esc + "?api-version=2026-03-12", 200, "active"},
		{"POST", "/calling/recordings/" + esc + ":pause?api-version=2026-03-12", 202, ""},
		{"GET", "/calling/recordings/" + esc + "?api-version=x", 200, "inactive"},
		{"POST", "/calling/recordings/" + esc + ":pause", 202, ""}, // idempotent
		{"POST", "/calling/recordings/" + esc + ":resume", 202, ""},
		{"GET", "/calling/recordings/" + esc, 200, "active"},
		{"DELETE", "/calling/recordings/" + esc, 204, ""},
		{"GET", "/calling/recordings/" + esc, 404, ""},
		{"DELETE", "/calling/recordings/" + esc, 404, ""},
		{"POST", "/calling/recordings/" + esc + ":resume", 404, ""},
		{"GET", "/calling/recordings/" + esc + "/result", 200, ""},
		{"GET", "/calls/" + escape(callID), 200, ""},
	}
	for _, st := range steps {
		r := c.do(st.method, st.target, nil)
		if r.status != st.status {
			t.Fatalf("%s %s: %d %s, want %d", st.method, st.target, r.status, r.body, st.status)
		}
		if st.status == 202 || st.status == 204 {
			if len(r.body) != 0 {
				t.Errorf("%s %s: body %q, want none", st.method, st.target, r.body)
			}
		}
		if st.status == 404 && r.errorCode(t) != "RecordingNotFound" {
			t.Errorf("%s %s: code %q", st.method, st.target, r.errorCode(t))
		}
		if st.state != "" && r.json(t)["recordingState"] != st.state {
			t.Errorf("%s %s: state %v, want %s", st.method, st.target, r.json(t)["recordingState"], st.state)
		}
	}
}

func escape(id string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D", ":", "%3A").Replace(id)
}

func TestStartValidation(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	call := c.createCall("call-1")
	loc := `"callLocator":{"kind":"serverCallLocator","serverCallId":"` + call + `"}`
	user := func(n string) string {
		return `{"kind":"communicationUser","communicationUser":{"id":"8:acs:` + n + `"}}`
	}
	cases := []struct {
		name, body string
		status     int
		code, word string
	}{
		{"unknown call", `{"callLocator":{"kind":"serverCallLocator","serverCallId":"nope"}}`, 404, "CallNotFound", "nope"},
		{"no locator", `{"recordingContentType":"audio"}`, 400, "InvalidRequest", "callLocator"},
		{"unknown connection", `{"callConnectionId":"0400a480"}`, 400, "CallConnectionNotFound", "callConnectionId"},
		{"bad content", `{` + loc + `,"recordingContentType":"video"}`, 400, "InvalidRecordingContentType", "recordingContentType"},
		{"bad channel", `{` + loc + `,"recordingChannelType":"stereo"}`, 400, "InvalidRecordingChannelType", "recordingChannelType"},
		{"bad format", `{` + loc + `,"recordingFormatType":"ogg"}`, 400, "InvalidRecordingFormatType", "recordingFormatType"},
		{"unmixed mp3", `{` + loc + `,"recordingChannelType":"unmixed","recordingFormatType":"mp3"}`, 400, "InvalidRecordingFormatType", "unmixed"},
		{"audioVideo wav", `{` + loc + `,"recordingContentType":"audioVideo","recordingFormatType":"wav"}`, 400, "InvalidRecordingFormatType", "audioVideo"},
		{"affinity mixed", `{` + loc + `,"recordingChannelType":"mixed","channelAffinity":[{"channel":0,"participant":` + user("a") + `}]}`, 400, "InvalidChannelAffinity", "channelAffinity"},
		{"affinity channel 5", `{` + loc + `,"recordingChannelType":"unmixed","channelAffinity":[{"channel":5,"participant":` + user("a") + `}]}`, 400, "InvalidChannelAffinity", "channelAffinity[0].channel"},
		{"affinity twice", `{` + loc + `,"recordingChannelType":"unmixed","channelAffinity":[{"channel":1,"participant":` + user("a") + `},{"channel":1,"participant":` + user("b") + `}]}`, 400, "InvalidChannelAffinity", "more than once"},
		{"bad json", `{` + loc, 400, "InvalidJson", "JSON"},
		{"wrong type", `{` + loc + `,"pauseOnStart":"yes"}`, 400, "InvalidJson", "pauseOnStart"},
		{"bad callback", `{` + loc + `,"recordingStateCallbackUri":"ftp://x"}`, 400, "InvalidCallbackUri", "recordingStateCallbackUri"},
		{"bad pause behavior", `{` + loc + `,"pauseBehavior":"skip"}`, 400, "InvalidPauseBehavior", "pauseBehavior"},
		// This server allows no destination (no --external-storage).
		{"blob storage", `{` + loc + `,"externalStorage":{"recordingStorageKind":"azureBlobStorage","recordingDestinationContainerUrl":"https://acct.blob.core.windows.net/rec"}}`, 400, "ExternalStorageNotSupported", "externalStorage"},
		{"s3 storage", `{` + loc + `,"externalStorage":{"recordingStorageKind":"s3","recordingDestinationContainerUrl":"s3://rec-bucket"}}`, 400, "ExternalStorageNotSupported", "s3://rec-bucket"},
		// Shapes are checked first (byos.ParseStart's cases are in byos).
		{"blob storage, no container", `{` + loc + `,"externalStorage":{"recordingStorageKind":"AzureBlobStorage"}}`, 400, "InvalidRecordingDestinationContainerUrl", "externalStorage.recordingDestinationContainerUrl"},
		{"blob storage, a SAS", `{` + loc + `,"externalStorage":{"recordingStorageKind":"azureBlobStorage","recordingDestinationContainerUrl":"https://acct.blob.core.windows.net/rec?sv=1&sig=x"}}`, 400, "InvalidRecordingDestinationContainerUrl", "--external-storage"},
		{"own storage, a container", `{` + loc + `,"externalStorage":{"recordingStorageKind":"azureCommunicationServices","recordingDestinationContainerUrl":"https://acct.blob.core.windows.net/rec"}}`, 400, "InvalidRecordingDestinationContainerUrl", "blob.core.windows.net"},
		{"unknown storage", `{` + loc + `,"externalStorage":{"recordingStorageKind":"gcs"}}`, 400, "InvalidExternalStorage.recordingStorageKind", "gcs"},
	}
	for _, tc := range cases {
		r := c.start(tc.body)
		if r.status != tc.status || r.errorCode(t) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
			continue
		}
		msg := r.json(t)["error"].(map[string]any)["message"].(string)
		if !strings.Contains(msg, tc.word) {
			t.Errorf("%s: message %q does not name %q", tc.name, msg, tc.word)
		}
	}
	// Nulls are absent; defaults apply.
	if r := c.start(`{` + loc + `,"recordingContentType":null,"recordingChannelType":null,"recordingFormatType":null,"pauseOnStart":true}`); r.status != 200 || r.json(t)["recordingState"] != "inactive" {
		t.Errorf("nulls + pauseOnStart: %d %s", r.status, r.body)
	}
	// ACS's own storage, as the official JS SDK names it, is callrec's.
	for _, es := range []string{`{"recordingStorageKind":"azureCommunicationServices"}`, `{}`, `null`} {
		if r := c.start(`{` + loc + `,"externalStorage":` + es + `}`); r.status != 200 {
			t.Errorf("externalStorage %s: %d %s", es, r.status, r.body)
		}
	}
	// Group and room locators resolve to the call created with that id.
	for _, l := range []string{`{"kind":"groupCallLocator","groupCallId":"` + call + `"}`, `{"kind":"roomCallLocator","roomId":"` + call + `"}`} {
		if r := c.start(`{"callLocator":` + l + `}`); r.status != 200 {
			t.Errorf("locator %s: %d %s", l, r.status, r.body)
		}
	}
}

func TestRepeatabilityRequestID(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	call := c.createCall("")
	body := `{"callLocator":{"kind":"serverCallLocator","serverCallId":"` + call + `"}}`
	rep := func(id string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Repeatability-Request-ID", id)
			r.Header.Set("Repeatability-First-Sent", time.Now().UTC().Format(http.TimeFormat))
		}
	}
	a := c.do("POST", "/calling/recordings", []byte(body), rep("bf608b42-2140-454e-9c59-e40fd4b98cab"))
	b := c.do("POST", "/calling/recordings", []byte(body), rep("bf608b42-2140-454e-9c59-e40fd4b98cab"))
	d := c.do("POST", "/calling/recordings", []byte(body), rep("0d0f4c1c-0000-4000-8000-000000000000"))
	if a.status != 200 || b.status != 200 || d.status != 200 {
		t.Fatalf("statuses %d %d %d", a.status, b.status, d.status)
	}
	if a.json(t)["recordingId"] != b.json(t)["recordingId"] {
		t.Errorf("same repeatability id gave two recordings")
	}
	if a.json(t)["recordingId"] == d.json(t)["recordingId"] {
		t.Errorf("different repeatability ids gave one recording")
	}
}

func TestAuthenticationAndLimits(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	call := c.createCall("")
	target := "/calls/" + escape(call)
	cases := []struct {
		name string
		edit func(*http.Request)
		code string
	}{
		{"unsigned", func(r *http.Request) { r.Header.Del("Authorization") }, "MissingAuthentication"},
		{"wrong key", func(r *http.Request) {
			hmacauth.Sign(r, []byte("wrong"), c.base.Host, target, nil, time.Now())
		}, "InvalidSignature"},
		{"16 minutes old", func(r *http.Request) {
			hmacauth.Sign(r, c.key, c.base.Host, target, nil, time.Now().Add(-16*time.Minute))
		}, "RequestDateOutOfRange"},
		{"other host", func(r *http.Request) {
			hmacauth.Sign(r, c.key, "evil.example.test", target, nil, time.Now())
		}, "InvalidSignature"},
	}
	for _, tc := range cases {
		r := c.do("GET", target, nil, tc.edit)
		if r.status != 401 || r.errorCode(t) != tc.code {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, r.status, r.body, tc.code)
		}
	}
	big := bytes.Repeat([]byte(" "), 2<<20)
	if r := c.do("POST", "/calls", big); r.status != 413 || r.errorCode(t) != "RequestBodyTooLarge" {
		t.Errorf("oversized body: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/nowhere", nil); r.status != 404 || r.errorCode(t) != "RouteNotFound" {
		t.Errorf("unknown route: %d %s", r.status, r.body)
	}
	if r := c.do("PUT", "/calling/recordings", nil); r.status != 405 || r.header.Get("Allow") != "GET, POST" {
		t.Errorf("wrong method: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/calls", []byte(`<xml/>`), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/xml")
	}); r.status != 415 {
		t.Errorf("xml body: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/v1/objects/nope/content/audio", nil); r.status != 404 || r.json(t)["status"] != float64(404) || r.json(t)["message"] == nil {
		t.Errorf("content error lacks top-level status/message: %d %s", r.status, r.body)
	}
}

func TestCallLifecycle(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	id := c.createCall("")
	if r := c.do("POST", "/calls", []byte(`{"serverCallId":"`+id+`"}`)); r.status != 409 || r.errorCode(t) != "CallAlreadyExists" {
		t.Errorf("duplicate call: %d %s", r.status, r.body)
	}
	rec := c.start(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"` + id + `"}}`).json(t)["recordingId"].(string)
	if r := c.do("DELETE", "/calls/"+escape(id), nil); r.status != 204 {
		t.Fatalf("end call: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/calling/recordings/"+escape(rec), nil); r.status != 404 {
		t.Errorf("recording of ended call: %d", r.status)
	}
	res := c.do("GET", "/calling/recordings/"+escape(rec)+"/result", nil).json(t)
	if res["sessionEndReason"] != "callEnded" {
		t.Errorf("result after call end: %v", res)
	}
	if r := c.start(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"` + id + `"}}`); r.status != 404 || r.errorCode(t) != "CallEnded" {
		t.Errorf("start on ended call: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/calls/"+escape(id), nil); r.json(t)["state"] != "ended" {
		t.Errorf("call state: %s", r.body)
	}
}

func TestContentRanges(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	call := c.createCall("")
	rec := c.start(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"` + call + `"},"recordingChannelType":"unmixed","recordingFormatType":"wav"}`).json(t)["recordingId"].(string)
	time.Sleep(300 * time.Millisecond) // some silence on the call clock
	if r := c.do("DELETE", "/calling/recordings/"+escape(rec), nil); r.status != 204 {
		t.Fatalf("stop: %d %s", r.status, r.body)
	}
	res := c.do("GET", "/calling/recordings/"+escape(rec)+"/result", nil).json(t)
	chunks := res["recordingStorageInfo"].(map[string]any)["recordingChunks"].([]any)
	if len(chunks) != 1 {
		t.Fatalf("chunks %v", chunks)
	}
	u, _ := url.Parse(chunks[0].(map[string]any)["contentLocation"].(string))
	path := u.EscapedPath()
	whole := c.do("GET", path, nil)
	if whole.status != 200 || len(whole.body) < 44 || string(whole.body[:4]) != "RIFF" {
		t.Fatalf("download: %d %d bytes", whole.status, len(whole.body))
	}
	size := len(whole.body)
	withRange := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Range", v) }
	}
	cases := []struct {
		rng          string
		status       int
		from, to     int
		contentRange string
	}{
		{"bytes=undefined", 200, 0, size, ""},
		{"bytes=None", 200, 0, size, ""},
		{"bytes=10", 200, 0, size, ""}, // 1.5.1 sends this: not a valid range, so ignored
		{"bytes=10-19", 206, 10, 20, "bytes 10-19/" + itoa(size)},
		{"bytes=40-", 206, 40, size, "bytes 40-" + itoa(size-1) + "/" + itoa(size)},
		{"bytes=-4", 206, size - 4, size, "bytes " + itoa(size-4) + "-" + itoa(size-1) + "/" + itoa(size)},
		{"bytes=0-1,4-5", 200, 0, size, ""},
		{"bytes=99999999-", 416, 0, 0, "bytes */" + itoa(size)},
		{"Bytes=0-3", 206, 0, 4, "bytes 0-3/" + itoa(size)},
		{"bytes=" + itoa(size-1) + "-", 206, size - 1, size, "bytes " + itoa(size-1) + "-" + itoa(size-1) + "/" + itoa(size)},
		{"bytes=10-99999999999999999999999", 206, 10, size, "bytes 10-" + itoa(size-1) + "/" + itoa(size)},
		// A suffix longer than the content is the whole content (RFC 9110 §14.1.2).
		{"bytes=-" + itoa(size+1), 206, 0, size, "bytes 0-" + itoa(size-1) + "/" + itoa(size)},
		{"bytes=-9223372036854775807", 206, 0, size, "bytes 0-" + itoa(size-1) + "/" + itoa(size)},
		{"bytes=-99999999999999999999999", 206, 0, size, "bytes 0-" + itoa(size-1) + "/" + itoa(size)},
		// Unsatisfiable: an empty suffix, last before first, first at or past the end.
		{"bytes=-0", 416, 0, 0, "bytes */" + itoa(size)},
		{"bytes=-000", 416, 0, 0, "bytes */" + itoa(size)},
		{"bytes=5-2", 416, 0, 0, "bytes */" + itoa(size)},
		{"bytes=" + itoa(size) + "-", 416, 0, 0, "bytes */" + itoa(size)},
		{"bytes=" + itoa(size) + "-" + itoa(size+10), 416, 0, 0, "bytes */" + itoa(size)},
		{"bytes=99999999999999999999999-", 416, 0, 0, "bytes */" + itoa(size)},
		{"bytes=9223372036854775807-9223372036854775808", 416, 0, 0, "bytes */" + itoa(size)},
	}
	for _, tc := range cases {
		r := c.do("GET", path, nil, withRange(tc.rng))
		if r.status != tc.status {
			t.Errorf("Range %q: %d %s, want %d", tc.rng, r.status, r.body, tc.status)
			continue
		}
		if tc.status == 416 {
			m := r.json(t)
			if m["status"] != float64(416) || m["message"] == nil || r.errorCode(t) != "InvalidRange" || r.header.Get("Content-Range") != tc.contentRange {
				t.Errorf("Range %q: %s %v", tc.rng, r.body, r.header)
			}
			continue
		}
		if !bytes.Equal(r.body, whole.body[tc.from:tc.to]) {
			t.Errorf("Range %q: got %d bytes, want [%d,%d)", tc.rng, len(r.body), tc.from, tc.to)
		}
		if got := r.header.Get("Content-Range"); got != tc.contentRange {
			t.Errorf("Range %q: Content-Range %q, want %q", tc.rng, got, tc.contentRange)
		}
	}
	if whole.header.Get("ETag") == "" || whole.header.Get("Last-Modified") == "" {
		t.Errorf("no ETag/Last-Modified: %v", whole.header)
	}
	// If-Range: a range of this version is served, of another version (or
	// an unsatisfiable one) ignored for the whole body.
	ifRange := func(rng, cond string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Range", rng); r.Header.Set("If-Range", cond) }
	}
	for _, tc := range []struct {
		rng, cond string
		status    int
	}{
		{"bytes=0-3", whole.header.Get("ETag"), 206},
		{"bytes=0-3", whole.header.Get("Last-Modified"), 206},
		{"bytes=0-3", `"another-version"`, 200},
		{"bytes=5-2", `"another-version"`, 200},
		{"bytes=-0", "Mon, 02 Jan 2006 15:04:05 GMT", 200},
		{"bytes=-0", whole.header.Get("ETag"), 416},
	} {
		r := c.do("GET", path, nil, ifRange(tc.rng, tc.cond))
		if r.status != tc.status || (tc.status == 200 && !bytes.Equal(r.body, whole.body)) {
			t.Errorf("Range %q If-Range %q: %d (%d bytes), want %d", tc.rng, tc.cond, r.status, len(r.body), tc.status)
		}
	}
	// Signed as the SDKs sign content: endpoint host in x-ms-host, the
	// request's Host another name, the path without its query.
	r := c.do("GET", path+"?sv=1", nil, func(r *http.Request) {
		hmacauth.Sign(r, c.key, c.base.Host, path, nil, time.Now())
		r.Header.Set("x-ms-host", c.base.Host)
		r.Host = "us-storage.asm.skype.com"
	})
	if r.status != 200 {
		t.Errorf("x-ms-host signed download: %d %s", r.status, r.body)
	}
	del := u.Scheme + "://" + u.Host + "/v1/objects/" + chunks[0].(map[string]any)["documentId"].(string)
	du, _ := url.Parse(del)
	if r := c.do("DELETE", du.EscapedPath(), nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := c.do("GET", path, nil); r.status != 404 || r.json(t)["status"] != float64(404) {
		t.Errorf("after delete: %d %s", r.status, r.body)
	}
	if r := c.do("DELETE", du.EscapedPath(), nil); r.status != 404 {
		t.Errorf("second delete: %d %s", r.status, r.body)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestQueryIsSigned: a request signed over its path alone is refused once a
// query is added, unless the query is nothing but api-version; content
// routes, which ignore the query, accept it (as the SDKs sign them).
func TestQueryIsSigned(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	call := escape(c.createCall(""))
	pathOnly := func(path string) func(*http.Request) {
		return func(r *http.Request) { hmacauth.Sign(r, c.key, c.base.Host, path, nil, time.Now()) }
	}
	cases := []struct {
		query  string
		status int
	}{
		{"?api-version=2026-03-12", 200},
		{"?state=ended", 401},
		{"?api-version=2026-03-12&state=ended", 401},
		{"?state=ended&api-version=2026-03-12", 401},
	}
	for _, tc := range cases {
		r := c.do("GET", "/calls/"+call+tc.query, nil, pathOnly("/calls/"+call))
		if r.status != tc.status || (tc.status == 401 && r.errorCode(t) != "InvalidSignature") {
			t.Errorf("signed over the path, sent with %s: %d %s, want %d", tc.query, r.status, r.body, tc.status)
		}
		// Signed over path and query: accepted whatever the query.
		if r := c.do("GET", "/calls/"+call+tc.query, nil); r.status != 200 {
			t.Errorf("signed with %s: %d %s", tc.query, r.status, r.body)
		}
	}
	// A content route ignores the query: the path alone is signed (a
	// document that does not exist: past the signature, 404).
	if r := c.do("GET", "/v1/objects/nope/content/audio?sv=1&sig=x", nil, pathOnly("/v1/objects/nope/content/audio")); r.status != 404 || r.errorCode(t) != "ContentNotFound" {
		t.Errorf("content signed over the path: %d %s", r.status, r.body)
	}
}
