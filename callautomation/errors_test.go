package callautomation

import (
	"strings"
	"testing"
)

func TestNewResponseError(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   ResponseError
		text   string
	}{
		{"acs error", 404, `{"error":{"code":"RecordingNotFound","message":"recording x was not found"}}`,
			ResponseError{404, "RecordingNotFound", "recording x was not found", ""},
			"RecordingNotFound: recording x was not found (HTTP 404)"},
		{"acs error with target", 400, `{"error":{"code":"InvalidRecordingFormatType","message":"use wav","target":"recordingFormatType"}}`,
			ResponseError{400, "InvalidRecordingFormatType", "use wav", "recordingFormatType"}, ""},
		{"numeric code", 404, `{"error":{"code":"8522","message":"Recording not found"}}`,
			ResponseError{404, "8522", "Recording not found", ""}, ""},
		{"flat", 409, `{"code":"Conflict","message":"already"}`, ResponseError{409, "Conflict", "already", ""}, ""},
		{"flat numeric code", 500, `{"code":9999,"message":"Unknown"}`, ResponseError{500, "9999", "Unknown", ""}, ""},
		{"content route", 404, `{"status":404,"message":"no such document"}`,
			ResponseError{404, "", "no such document", ""}, "no such document (HTTP 404)"},
		{"content route with error", 404, `{"error":{"code":"ContentNotFound","message":"gone"},"status":404,"message":"gone"}`,
			ResponseError{404, "ContentNotFound", "gone", ""}, ""},
		{"text", 502, "bad gateway from proxy\n", ResponseError{502, "", "bad gateway from proxy", ""}, ""},
		{"empty", 503, "", ResponseError{503, "", "Service Unavailable", ""}, "Service Unavailable (HTTP 503)"},
		{"empty unknown status", 299, "", ResponseError{299, "", "unexpected response", ""}, ""},
		{"json array", 400, `["x"]`, ResponseError{400, "", `["x"]`, ""}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := newResponseError(c.status, []byte(c.body))
			if *got != c.want {
				t.Errorf("got %#v, want %#v", *got, c.want)
			}
			if c.text != "" && got.Error() != c.text {
				t.Errorf("Error() = %q, want %q", got.Error(), c.text)
			}
		})
	}
}

func TestNewResponseErrorTruncatesLongText(t *testing.T) {
	got := newResponseError(500, []byte(strings.Repeat("é", 1000)))
	if len(got.Message) > 520 || !strings.HasSuffix(got.Message, "…") {
		t.Errorf("message of %d bytes not truncated: %q", len(got.Message), got.Message[:20])
	}
	if !strings.HasPrefix(got.Message, "é") || strings.ContainsRune(got.Message, '\uFFFD') {
		t.Error("truncation split a rune")
	}
}

func FuzzNewResponseError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"code":"x","message":"y"}}`))
	f.Add(404, []byte(`{"status":404,"message":"m"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := newResponseError(status, body)
		if e.Message == "" || e.StatusCode != status || e.Error() == "" {
			t.Fatalf("status %d body %q gave %#v", status, body, e)
		}
	})
}
