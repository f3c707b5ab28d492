package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/testserver"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Field names of RecordingFileStatusUpdated (docs/acs-compatibility.md): the Event Grid
// envelope, data, and each chunk. recordingId and serverCallId are the
// extra data fields of the BYOS variant that consumers read.
var (
	eventGridEnvelopeFields = []string{"id", "topic", "subject", "eventType", "dataVersion", "metadataVersion", "eventTime", "data"}
	fileStatusDataFields    = []string{"recordingStorageInfo", "recordingStartTime", "recordingDurationMs", "sessionEndReason",
		"recordingContentType", "recordingChannelType", "recordingFormatType", "recordingId", "serverCallId"}
	chunkFields = []string{"documentId", "index", "endReason", "contentLocation", "metadataLocation", "deleteLocation"}
)

// TestFileStatusUpdatedEventGridGolden records a real (silent) recording,
// receives its RecordingFileStatusUpdated through an Event Grid
// subscription, and compares the delivery with
// testdata/recording_file_status_updated.eventgrid.golden after replacing
// the values that differ per run (ids, times, URLs) with placeholders. It
// also checks the field names against docs/acs-compatibility.md one by one, and the
// PascalCase enums.
func TestFileStatusUpdatedEventGridGolden(t *testing.T) {
	rc := newEventReceiver("")
	recvURL, _ := serveOn(t, "127.0.0.1:0", rc)
	s := testserver.Start(t, testserver.FastWebhooks())
	c := sdkClient(t, s)
	ctx := context.Background()
	if _, err := c.Events().Subscribe(ctx, callrec.Subscription{
		Name: "golden", URL: recvURL, Types: []string{callrec.EventRecordingFileStatusUpdated},
	}); err != nil {
		t.Fatal(err)
	}
	recordingID := recordAndStop(t, c)
	waitFor(t, "the file event", 20*time.Second, func() bool { return len(rc.snapshot()) == 1 })
	h := rc.snapshot()[0]

	for name, want := range map[string]string{
		"Content-Type": "application/json", "aeg-event-type": "Notification", "aeg-subscription-name": "golden",
		"aeg-delivery-count": "0", "aeg-data-version": "1.0", "aeg-metadata-version": "1",
	} {
		if got := h.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if len(h.Events) != 1 {
		t.Fatalf("body has %d events, want an array of 1", len(h.Events))
	}
	ev := h.Events[0]
	data := ev["data"].(map[string]any)
	chunks := data["recordingStorageInfo"].(map[string]any)["recordingChunks"].([]any)
	checkFields(t, "envelope", ev, eventGridEnvelopeFields)
	checkFields(t, "data", data, fileStatusDataFields)
	checkFields(t, "recordingStorageInfo", data["recordingStorageInfo"].(map[string]any), []string{"recordingChunks"})
	if len(chunks) == 0 {
		t.Fatal("no recordingChunks")
	}
	for _, ch := range chunks {
		checkFields(t, "chunk", ch.(map[string]any), chunkFields)
	}
	call := data["serverCallId"].(string)
	if want := "/recording/call/" + call + "/serverCallId/" + call + "/recordingId/" + recordingID; ev["subject"] != want {
		t.Errorf("subject %v, want %s", ev["subject"], want)
	}

	got := normalizeFileEvent(t, h.Body, s.URL, recordingID, call)
	golden := filepath.Join("testdata", "recording_file_status_updated.eventgrid.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Event Grid body differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func checkFields(t *testing.T, what string, m map[string]any, want []string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s fields %v, want %v (docs/acs-compatibility.md)", what, got, want)
	}
}

// normalizeFileEvent replaces run-specific values with placeholders and
// indents the body, keeping every field name, type and fixed value.
func normalizeFileEvent(t *testing.T, body []byte, publicURL, recordingID, callID string) []byte {
	t.Helper()
	var evs []map[string]any
	if err := json.Unmarshal(body, &evs); err != nil {
		t.Fatal(err)
	}
	ev := evs[0]
	mustTime := func(v any, field string) string {
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Errorf("%s %q is not an RFC 3339 UTC time", field, s)
		}
		return "<" + field + ">"
	}
	if id, _ := ev["id"].(string); len(id) != 36 {
		t.Errorf("id %q is not a UUID", id)
	}
	ev["id"] = "<uuid>"
	ev["eventTime"] = mustTime(ev["eventTime"], "eventTime")
	data := ev["data"].(map[string]any)
	data["recordingStartTime"] = mustTime(data["recordingStartTime"], "recordingStartTime")
	if d, ok := data["recordingDurationMs"].(float64); !ok || d < 0 {
		t.Errorf("recordingDurationMs %v is not a non-negative number", data["recordingDurationMs"])
	}
	data["recordingDurationMs"] = 0
	for i, ch := range data["recordingStorageInfo"].(map[string]any)["recordingChunks"].([]any) {
		chunk := ch.(map[string]any)
		doc := chunk["documentId"].(string)
		for _, k := range []string{"contentLocation", "metadataLocation", "deleteLocation"} {
			chunk[k] = strings.ReplaceAll(chunk[k].(string), doc, "<documentId"+string(rune('0'+i))+">")
		}
		chunk["documentId"] = "<documentId" + string(rune('0'+i)) + ">"
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(evs); err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer(publicURL, "<publicUrl>", strings.TrimPrefix(publicURL, "http://"), "<publicHost>",
		recordingID, "<recordingId>", callID, "<serverCallId>")
	return []byte(r.Replace(out.String()))
}
