package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// Content types of the encodings.
const (
	ContentTypeJSON        = "application/json"
	ContentTypeCloudEvents = "application/cloudevents+json; charset=utf-8"
)

// Event Grid delivery headers.
const (
	HeaderEventGridEventType       = "aeg-event-type"
	HeaderEventGridSubscription    = "aeg-subscription-name"
	HeaderEventGridDeliveryCount   = "aeg-delivery-count"
	HeaderEventGridDataVersion     = "aeg-data-version"
	HeaderEventGridMetadataVersion = "aeg-metadata-version"
)

// Fixed envelope values.
const (
	cloudEventsSpecVersion      = "1.0"
	eventGridMetadataVersion    = "1"
	eventGridNotification       = "Notification"
	defaultEventGridDataVersion = "1.0"
)

// CodeInvalidEvent marks an event that cannot be encoded; it is final.
const CodeInvalidEvent = "InvalidEvent"

// Message is one encoded delivery: the body and the headers that describe it.
type Message struct {
	Body   []byte
	Header http.Header
}

// Encode renders ev for target t. deliveryCount is the number of attempts
// made before this one (Event Grid's aeg-delivery-count). The body depends
// only on the event, never on the attempt, so every retry sends the same
// bytes. It fails with a KindInvalid *callrec.Error when the event lacks a
// required field or its data is not JSON.
func Encode(ev callrec.Event, t callrec.Target, deliveryCount int) (Message, error) {
	if err := checkEvent(ev); err != nil {
		return Message{}, err
	}
	h := http.Header{}
	var envelope any
	switch t.Schema {
	case callrec.SchemaCloudEventsArray:
		envelope = []acswire.CloudEvent{cloudEvent(ev)}
		h.Set("Content-Type", ContentTypeJSON)
	case callrec.SchemaCloudEvents:
		envelope = cloudEvent(ev)
		h.Set("Content-Type", ContentTypeCloudEvents)
	case callrec.SchemaEventGrid:
		eg := eventGridEvent(ev)
		envelope = []acswire.EventGridEvent{eg}
		h.Set("Content-Type", ContentTypeJSON)
		h.Set(HeaderEventGridEventType, eventGridNotification)
		h.Set(HeaderEventGridSubscription, t.Subscription)
		h.Set(HeaderEventGridDeliveryCount, strconv.Itoa(deliveryCount))
		h.Set(HeaderEventGridDataVersion, eg.DataVersion)
		h.Set(HeaderEventGridMetadataVersion, eventGridMetadataVersion)
	default:
		return Message{}, callrec.FieldErrorf("schema", CodeInvalidEvent, "unknown delivery schema %q", t.Schema)
	}
	body, err := marshal(envelope)
	if err != nil {
		return Message{}, callrec.FieldErrorf("data", CodeInvalidEvent, "event %s: %v", ev.ID, err)
	}
	return Message{Body: body, Header: h}, nil
}

func checkEvent(ev callrec.Event) error {
	switch {
	case ev.ID == "":
		return callrec.FieldErrorf("id", CodeInvalidEvent, "event has no id")
	case ev.Type == "":
		return callrec.FieldErrorf("type", CodeInvalidEvent, "event %s has no type", ev.ID)
	case ev.Source == "":
		return callrec.FieldErrorf("source", CodeInvalidEvent, "event %s has no source", ev.ID)
	case ev.Time.IsZero():
		return callrec.FieldErrorf("time", CodeInvalidEvent, "event %s has no time", ev.ID)
	case len(ev.Data) > 0 && !json.Valid(ev.Data):
		return callrec.FieldErrorf("data", CodeInvalidEvent, "event %s data is not valid JSON", ev.ID)
	}
	return nil
}

func cloudEvent(ev callrec.Event) acswire.CloudEvent {
	return acswire.CloudEvent{
		ID:              ev.ID,
		Source:          ev.Source,
		Type:            ev.Type,
		SpecVersion:     cloudEventsSpecVersion,
		DataContentType: ContentTypeJSON,
		Time:            formatTime(ev.Time),
		Subject:         ev.Subject,
		Data:            rawData(ev.Data),
	}
}

func eventGridEvent(ev callrec.Event) acswire.EventGridEvent {
	dv := ev.DataVersion
	if dv == "" {
		dv = defaultEventGridDataVersion
	}
	return acswire.EventGridEvent{
		ID:              ev.ID,
		Topic:           ev.Source,
		Subject:         ev.Subject,
		EventType:       ev.Type,
		DataVersion:     dv,
		MetadataVersion: eventGridMetadataVersion,
		EventTime:       formatTime(ev.Time),
		Data:            rawData(ev.Data),
	}
}

// rawData keeps the event's JSON as it is; no data is JSON null.
func rawData(d json.RawMessage) json.RawMessage {
	if len(d) == 0 {
		return json.RawMessage("null")
	}
	return d
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// marshal encodes v without HTML escaping (so "<", ">" and "&" in data
// travel as they were written) and without a trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
