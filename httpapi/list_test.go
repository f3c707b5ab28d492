package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/testserver"
)

// page is a list page as the routes answer it.
type page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"nextLink"`
}

// listAll follows nextLink from target until the last page; it checks that
// every page holds at most max items and every nextLink is absolute on the
// server's own host. It returns each item's field.
func (c *client) listAll(target, field string, max int) (values []string, pages int) {
	c.t.Helper()
	for target != "" {
		r := c.do("GET", target, nil)
		if r.status != 200 {
			c.t.Fatalf("GET %s: %d %s", target, r.status, r.body)
		}
		var p page
		if err := json.Unmarshal(r.body, &p); err != nil || p.Value == nil {
			c.t.Fatalf("GET %s: %s (%v)", target, r.body, err)
		}
		if len(p.Value) > max {
			c.t.Fatalf("GET %s: %d items, maxPageSize %d", target, len(p.Value), max)
		}
		pages++
		for _, v := range p.Value {
			var m map[string]any
			json.Unmarshal(v, &m)
			values = append(values, m[field].(string))
		}
		target = ""
		if p.NextLink != "" {
			u, err := url.Parse(p.NextLink)
			if err != nil || !u.IsAbs() || u.Host != c.base.Host {
				c.t.Fatalf("nextLink %q is not an absolute URL on %s", p.NextLink, c.base.Host)
			}
			target = u.RequestURI()
		}
	}
	return values, pages
}

func TestListCallsPaged(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	var all []string
	for range 5 {
		all = append(all, c.createCall(""))
	}
	for _, id := range all[1:3] {
		if r := c.do("DELETE", "/calls/"+escape(id), nil); r.status != 204 {
			t.Fatalf("end: %d %s", r.status, r.body)
		}
	}
	got, pages := c.listAll("/calls?maxPageSize=2", "serverCallId", 2)
	if !slices.Equal(got, all) || pages != 3 {
		t.Fatalf("listed %v in %d pages, want %v in 3", got, pages, all)
	}
	got, _ = c.listAll("/calls?state=ended&maxPageSize=1&api-version=2025-06-15", "serverCallId", 1)
	if !slices.Equal(got, all[1:3]) {
		t.Fatalf("ended calls %v, want %v", got, all[1:3])
	}
	got, _ = c.listAll("/calls?state=Active", "serverCallId", 100)
	if !slices.Equal(got, []string{all[0], all[3], all[4]}) {
		t.Fatalf("active calls %v", got)
	}
}

func TestListRecordingsAndCallRecordings(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	callA, callB := c.createCall(""), c.createCall("")
	start := func(call string) string {
		t.Helper()
		r := c.start(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"` + call + `"},"recordingFormatType":"wav"}`)
		if r.status != 200 {
			t.Fatalf("start: %d %s", r.status, r.body)
		}
		return r.json(t)["recordingId"].(string)
	}
	stopped, paused, active, other := start(callA), start(callA), start(callA), start(callB)
	if r := c.do("DELETE", "/calling/recordings/"+escape(stopped), nil); r.status != 204 {
		t.Fatalf("stop: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/calling/recordings/"+escape(paused)+":pause", nil); r.status != 202 {
		t.Fatalf("pause: %d %s", r.status, r.body)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{stopped, paused, active, other}},
		{"?serverCallId=" + url.QueryEscape(callA), []string{stopped, paused, active}},
		{"?state=stopped", []string{stopped}},
		{"?state=inactive", []string{paused}},
		{"?state=active&serverCallId=" + url.QueryEscape(callA), []string{active}},
		{"?serverCallId=bm8tc3VjaA%3D%3D", nil},
	}
	for _, tc := range cases {
		sep := "?"
		if tc.query != "" {
			sep = "&"
		}
		got, _ := c.listAll("/calling/recordings"+tc.query+sep+"maxPageSize=1", "recordingId", 1)
		if !slices.Equal(got, tc.want) {
			t.Errorf("GET /calling/recordings%s: %v, want %v", tc.query, got, tc.want)
		}
	}

	// One summary in full.
	r := c.do("GET", "/calling/recordings?state=stopped", nil)
	var p struct {
		Value []struct {
			RecordingID, ServerCallID, RecordingState, SessionEndReason, RecordingFormatType string
			StartTime                                                                        time.Time
			StopTime                                                                         *time.Time
			ChunkCount                                                                       int
			RecordingDurationMs                                                              *int64
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil || len(p.Value) != 1 {
		t.Fatalf("%s (%v)", r.body, err)
	}
	v := p.Value[0]
	if v.RecordingID != stopped || v.ServerCallID != callA || v.RecordingState != "stopped" || v.SessionEndReason != "sessionEnded" ||
		v.RecordingFormatType != "wav" || v.StartTime.IsZero() || v.StopTime == nil || v.StopTime.Before(v.StartTime) ||
		v.ChunkCount != 1 || v.RecordingDurationMs == nil {
		t.Errorf("stopped recording listed as %s", r.body)
	}

	// GET /calls/{id} lists the call's recordings, stopped ones included.
	var call struct {
		ServerCallID string `json:"serverCallId"`
		Recordings   []struct {
			RecordingID, RecordingState string
		} `json:"recordings"`
	}
	if err := json.Unmarshal(c.do("GET", "/calls/"+escape(callA), nil).body, &call); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, rec := range call.Recordings {
		states = append(states, rec.RecordingID+"="+rec.RecordingState)
	}
	if want := []string{stopped + "=stopped", paused + "=inactive", active + "=active"}; !slices.Equal(states, want) {
		t.Errorf("GET /calls/{id} recordings %v, want %v", states, want)
	}
}

func TestListBadQueries(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	for range 3 {
		c.createCall("")
	}
	r := c.do("GET", "/calls?maxPageSize=1", nil)
	var p page
	json.Unmarshal(r.body, &p)
	next, err := url.Parse(p.NextLink)
	if err != nil || p.NextLink == "" {
		t.Fatalf("no nextLink in %s", r.body)
	}
	token := next.Query().Get("continuationToken")
	cases := []struct {
		target, code, field string
	}{
		{"/calls?state=gone", "InvalidRequest", "state"},
		{"/calling/recordings?state=paused", "InvalidRequest", "state"},
		{"/calls?maxPageSize=0", "InvalidRequest", "maxPageSize"},
		{"/calls?maxPageSize=1001", "InvalidRequest", "maxPageSize"},
		{"/calling/recordings?maxPageSize=ten", "InvalidRequest", "maxPageSize"},
		{"/calls?status=active", "InvalidRequest", "status"},
		{"/calls?continuationToken=not-a-token", "InvalidContinuationToken", "continuationToken"},
		{"/calls?continuationToken=" + base64.RawURLEncoding.EncodeToString([]byte("calls:x")), "InvalidContinuationToken", ""},
		// A token of the call list does not continue the recording list.
		{"/calling/recordings?continuationToken=" + token, "InvalidContinuationToken", "continuationToken"},
	}
	for _, tc := range cases {
		r := c.do("GET", tc.target, nil)
		if r.status != 400 || r.errorCode(t) != tc.code {
			t.Errorf("GET %s: %d %s, want 400 %s", tc.target, r.status, r.body, tc.code)
			continue
		}
		if target, _ := r.json(t)["error"].(map[string]any)["target"].(string); tc.field != "" && target != tc.field {
			t.Errorf("GET %s: target %q, want %q", tc.target, target, tc.field)
		}
	}
	if r := c.do("PUT", "/calls", nil); r.status != 405 || r.header.Get("Allow") != "GET, POST" {
		t.Errorf("PUT /calls: %d Allow %q", r.status, r.header.Get("Allow"))
	}
	// The list routes are signed like the others.
	unsigned := *c
	unsigned.key = []byte("not the key")
	if r := unsigned.do("GET", "/calls", nil); r.status != 401 {
		t.Errorf("GET /calls with a wrong key: %d %s", r.status, r.body)
	}
	if r := unsigned.do("GET", "/calling/recordings", nil); r.status != 401 {
		t.Errorf("GET /calling/recordings with a wrong key: %d %s", r.status, r.body)
	}
}

// TestResultMarksDeletedChunks: once a chunk's files are deleted, the
// result says so.
func TestResultMarksDeletedChunks(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s)
	call := c.createCall("")
	rec := c.start(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"` + call + `"},"recordingFormatType":"wav"}`).json(t)["recordingId"].(string)
	if r := c.do("DELETE", "/calling/recordings/"+escape(rec), nil); r.status != 204 {
		t.Fatalf("stop: %d %s", r.status, r.body)
	}
	chunk := func() map[string]any {
		t.Helper()
		res := c.do("GET", "/calling/recordings/"+escape(rec)+"/result", nil).json(t)
		chunks := res["recordingStorageInfo"].(map[string]any)["recordingChunks"].([]any)
		if len(chunks) != 1 {
			t.Fatalf("chunks %v", chunks)
		}
		return chunks[0].(map[string]any)
	}
	before := chunk()
	if _, ok := before["deleted"]; ok {
		t.Fatalf("chunk marked deleted before its delete: %v", before)
	}
	del, _ := url.Parse(before["deleteLocation"].(string))
	if r := c.do("DELETE", del.EscapedPath(), nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if after := chunk(); after["deleted"] != true || after["documentId"] != before["documentId"] {
		t.Fatalf("chunk after its delete: %v", after)
	}
}
