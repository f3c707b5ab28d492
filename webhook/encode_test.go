package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// stateChanged is the RecordingStateChanged example of docs/acs-compatibility.md.
var stateChanged = callrec.Event{
	ID:      "9ec1f3a0-5b1c-4b8e-9a59-1d2f3e4a5b6c",
	Type:    callrec.EventRecordingStateChanged,
	Source:  "calling/recordings/eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx",
	Subject: "calling/recordings/eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx",
	Time:    time.Date(2025, 1, 1, 10, 0, 1, 123000000, time.FixedZone("CET", 3600)),
	Data: json.RawMessage(`{"recordingId":"eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx","state":"active",` +
		`"startDateTime":"2025-01-01T10:00:00Z","recordingKind":"azureCommunicationServices",` +
		`"serverCallId":"aHR0cHM6Ly9hcGk=","correlationId":"c0ffee00-0000-4000-8000-000000000001",` +
		`"resultInformation":{"code":200,"subCode":0,"message":"Recording started & <ok>"}}`),
}

// fileStatus is the RecordingFileStatusUpdated example of docs/acs-compatibility.md.
var fileStatus = callrec.Event{
	ID:          "7283825e-f8f1-4c61-a9ea-752c56890500",
	Type:        callrec.EventRecordingFileStatusUpdated,
	Source:      "/callrec/instances/local",
	Subject:     "/recording/call/c1/serverCallId/aHR0cHM6Ly9hcGk=/recordingId/rec1",
	Time:        time.Date(2021, 7, 27, 15, 20, 34, 219932800, time.UTC),
	DataVersion: "1.0",
	Data: json.RawMessage(`{
	  "recordingStorageInfo": {"recordingChunks": [{"documentId": "0-eus-d12-801b", "index": 0, "endReason": "SessionEnded",
	    "contentLocation": "http://127.0.0.1:8080/v1/objects/0-eus-d12-801b/content/audio",
	    "metadataLocation": "http://127.0.0.1:8080/v1/objects/0-eus-d12-801b/content/acsmetadata",
	    "deleteLocation": "http://127.0.0.1:8080/v1/objects/0-eus-d12-801b"}]},
	  "recordingStartTime": "2021-07-27T15:20:23.6089755Z", "recordingDurationMs": 6620, "sessionEndReason": "CallEnded",
	  "recordingContentType": "Audio", "recordingChannelType": "Mixed", "recordingFormatType": "Wav"}`),
}

func TestEncodeGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		ev     callrec.Event
		target callrec.Target
	}{
		{"cloudEventsArray.golden", stateChanged, callrec.Target{URL: "http://127.0.0.1/cb", Schema: callrec.SchemaCloudEventsArray}},
		{"cloudEvents.golden", fileStatus, callrec.Target{URL: "http://127.0.0.1/ce", Schema: callrec.SchemaCloudEvents, Subscription: "files"}},
		{"eventGrid.golden", fileStatus, callrec.Target{URL: "http://127.0.0.1/eg", Schema: callrec.SchemaEventGrid, Subscription: "files"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			msg, err := Encode(tc.ev, tc.target, 2)
			if err != nil {
				t.Fatal(err)
			}
			got := messageText(msg)
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encoding differs from %s:\n got %s\nwant %s", path, got, want)
			}
			// The body is the same whatever the attempt.
			first, _ := Encode(tc.ev, tc.target, 0)
			if !bytes.Equal(first.Body, msg.Body) {
				t.Error("body depends on the delivery count")
			}
		})
	}
}

// messageText renders headers (sorted) and body as golden text.
func messageText(m Message) []byte {
	var b bytes.Buffer
	keys := make([]string, 0, len(m.Header))
	for k := range m.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(k + ": " + strings.Join(m.Header[k], ",") + "\n")
	}
	b.WriteString("\n")
	b.Write(m.Body)
	b.WriteString("\n")
	return b.Bytes()
}

// The envelopes parse back into the ACS wire models with every field, and
// data is the event's JSON unchanged (only whitespace removed).
func TestEncodeRoundTrip(t *testing.T) {
	compact := func(raw []byte) string {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	type ce struct {
		acswire.CloudEvent
		Data json.RawMessage `json:"data"`
	}
	type eg struct {
		acswire.EventGridEvent
		Data json.RawMessage `json:"data"`
	}

	msg, err := Encode(stateChanged, callrec.Target{Schema: callrec.SchemaCloudEventsArray}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var arr []ce
	if err := json.Unmarshal(msg.Body, &arr); err != nil || len(arr) != 1 {
		t.Fatalf("cloudEventsArray: %v, %d events", err, len(arr))
	}
	c := arr[0]
	if c.ID != stateChanged.ID || c.Type != stateChanged.Type || c.Source != stateChanged.Source || c.Subject != stateChanged.Subject ||
		c.SpecVersion != "1.0" || c.DataContentType != "application/json" || c.Time != "2025-01-01T09:00:01.123Z" ||
		string(c.Data) != compact(stateChanged.Data) {
		t.Errorf("cloud event %+v", c)
	}
	if !bytes.Contains(msg.Body, []byte(`"Recording started & <ok>"`)) {
		t.Error("data was HTML-escaped")
	}

	msg, err = Encode(fileStatus, callrec.Target{Schema: callrec.SchemaCloudEvents}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var one ce
	if err := json.Unmarshal(msg.Body, &one); err != nil || one.ID != fileStatus.ID || one.SpecVersion != "1.0" {
		t.Fatalf("cloudEvents: %v %+v", err, one)
	}
	if got := msg.Header.Get("Content-Type"); got != "application/cloudevents+json; charset=utf-8" {
		t.Errorf("cloudEvents content type %q", got)
	}

	msg, err = Encode(fileStatus, callrec.Target{Schema: callrec.SchemaEventGrid, Subscription: "files"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var egs []eg
	if err := json.Unmarshal(msg.Body, &egs); err != nil || len(egs) != 1 {
		t.Fatalf("eventGrid: %v", err)
	}
	e := egs[0]
	if e.ID != fileStatus.ID || e.Topic != fileStatus.Source || e.Subject != fileStatus.Subject || e.EventType != fileStatus.Type ||
		e.DataVersion != "1.0" || e.MetadataVersion != "1" || e.EventTime != "2021-07-27T15:20:34.2199328Z" ||
		string(e.Data) != compact(fileStatus.Data) {
		t.Errorf("event grid event %+v", e)
	}
	for k, v := range map[string]string{"aeg-event-type": "Notification", "aeg-subscription-name": "files",
		"aeg-delivery-count": "3", "aeg-data-version": "1.0", "aeg-metadata-version": "1"} {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestEncodeRejectsIncompleteEvents(t *testing.T) {
	target := callrec.Target{Schema: callrec.SchemaEventGrid}
	for field, mutate := range map[string]func(*callrec.Event){
		"id":     func(e *callrec.Event) { e.ID = "" },
		"type":   func(e *callrec.Event) { e.Type = "" },
		"source": func(e *callrec.Event) { e.Source = "" },
		"time":   func(e *callrec.Event) { e.Time = time.Time{} },
		"data":   func(e *callrec.Event) { e.Data = json.RawMessage(`{"a":`) },
	} {
		ev := stateChanged
		mutate(&ev)
		_, err := Encode(ev, target, 0)
		var ce *callrec.Error
		if !errors.As(err, &ce) || ce.Kind != callrec.KindInvalid || ce.Code != CodeInvalidEvent || ce.Target != field {
			t.Errorf("missing %s: got %v", field, err)
		}
	}
	if _, err := Encode(stateChanged, callrec.Target{Schema: "xml"}, 0); callrec.CodeOf(err) != CodeInvalidEvent {
		t.Errorf("unknown schema: %v", err)
	}
	ev := stateChanged
	ev.Data = nil
	msg, err := Encode(ev, callrec.Target{Schema: callrec.SchemaCloudEvents}, 0)
	if err != nil || !bytes.HasSuffix(msg.Body, []byte(`"data":null}`)) {
		t.Errorf("event without data: %v %s", err, msg.Body)
	}
}
