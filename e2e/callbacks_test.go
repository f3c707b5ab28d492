package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// stateChangedType is the CloudEvent type of recording state callbacks.
const stateChangedType = "Microsoft.Communication.RecordingStateChanged"

// callbackEvent is one CloudEvent as a receiver sees it, decoded with the
// test's own structs (not the server's) so the wire format is checked.
type callbackEvent struct {
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	SpecVersion     string `json:"specversion"`
	DataContentType string `json:"datacontenttype"`
	Time            string `json:"time"`
	Subject         string `json:"subject"`
	Data            struct {
		RecordingID   string `json:"recordingId"`
		State         string `json:"state"`
		StartDateTime string `json:"startDateTime"`
		RecordingKind string `json:"recordingKind"`
		ServerCallID  string `json:"serverCallId"`
		CorrelationID string `json:"correlationId"`
	} `json:"data"`
}

// delivery is one POST the receiver got.
type delivery struct {
	Path        string
	ContentType string
	Body        []byte
	Events      []callbackEvent
	DecodeErr   error
}

// callbackReceiver is an HTTP endpoint used as recordingStateCallbackUri. It
// answers 200 to every POST and keeps what it got.
type callbackReceiver struct {
	URL string
	srv *httptest.Server

	mu         sync.Mutex
	deliveries []delivery
	arrived    chan struct{} // receives a token after each delivery
}

// startCallbackReceiver serves on ln (nil: a new loopback port) until the
// test ends.
func startCallbackReceiver(t *testing.T, ln net.Listener) *callbackReceiver {
	t.Helper()
	r := &callbackReceiver{arrived: make(chan struct{}, 1)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(r.serveHTTP))
	if ln != nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close)
	r.srv, r.URL = srv, srv.URL
	return r
}

func (r *callbackReceiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodOptions { // CloudEvents webhook validation
		w.Header().Set("WebHook-Allowed-Origin", "*")
		return
	}
	if req.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.Header.Get("aeg-event-type") == "SubscriptionValidation" {
		answerValidation(w, body)
		return
	}
	d := delivery{Path: req.URL.RequestURI(), ContentType: req.Header.Get("Content-Type"), Body: body}
	d.DecodeErr = json.Unmarshal(body, &d.Events)
	r.mu.Lock()
	r.deliveries = append(r.deliveries, d)
	r.mu.Unlock()
	select {
	case r.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

// Deliveries returns a copy of what arrived so far.
func (r *callbackReceiver) Deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}

// StateEvents returns the RecordingStateChanged events for recordingID,
// failing the test on any delivery that is not a JSON array of CloudEvents.
func (r *callbackReceiver) StateEvents(t *testing.T, recordingID string) []callbackEvent {
	t.Helper()
	var out []callbackEvent
	for _, d := range r.Deliveries() {
		if d.DecodeErr != nil {
			t.Fatalf("callback %s: body is not a JSON array of CloudEvents: %v\n%s", d.Path, d.DecodeErr, d.Body)
		}
		if !strings.HasPrefix(d.ContentType, "application/json") && !strings.HasPrefix(d.ContentType, "application/cloudevents-batch+json") {
			t.Fatalf("callback %s: Content-Type %q, want JSON", d.Path, d.ContentType)
		}
		for _, ev := range d.Events {
			if ev.Type == stateChangedType && ev.Data.RecordingID == recordingID {
				out = append(out, ev)
			}
		}
	}
	return out
}

// RawDeliveryWith returns the body of a delivery holding a state event for
// recordingID in the given state, as it came over the wire.
func (r *callbackReceiver) RawDeliveryWith(recordingID, state string) []byte {
	for _, d := range r.Deliveries() {
		for _, ev := range d.Events {
			if ev.Type == stateChangedType && ev.Data.RecordingID == recordingID && ev.Data.State == state {
				return d.Body
			}
		}
	}
	return nil
}

// WaitForStates waits until state events for recordingID in every one of
// states have arrived, and returns all of that recording's state events.
func (r *callbackReceiver) WaitForStates(t *testing.T, recordingID string, timeout time.Duration, states ...string) []callbackEvent {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		events := r.StateEvents(t, recordingID)
		seen := map[string]bool{}
		for _, ev := range events {
			seen[ev.Data.State] = true
		}
		missing := []string{}
		for _, s := range states {
			if !seen[s] {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			return events
		}
		select {
		case <-r.arrived:
		case <-time.After(200 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("recording %s: no RecordingStateChanged callback with state %v within %s; got %d deliveries: %s",
				recordingID, missing, timeout, len(r.Deliveries()), summarize(r.Deliveries()))
		}
	}
}

// checkStateEvent checks one state event's envelope and data.
func checkStateEvent(t *testing.T, ev callbackEvent, serverCallID string) {
	t.Helper()
	if ev.ID == "" || ev.Source == "" || ev.Time == "" {
		t.Errorf("event %+v: id, source and time must be set", ev)
	}
	if ev.SpecVersion != "1.0" {
		t.Errorf("event %s: specversion %q, want 1.0", ev.ID, ev.SpecVersion)
	}
	if ev.Data.State != "active" && ev.Data.State != "inactive" {
		t.Errorf("event %s: state %q, want active or inactive", ev.ID, ev.Data.State)
	}
	if _, err := time.Parse(time.RFC3339Nano, ev.Data.StartDateTime); err != nil {
		t.Errorf("event %s: startDateTime %q is not RFC 3339 with an offset: %v", ev.ID, ev.Data.StartDateTime, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil {
		t.Errorf("event %s: time %q is not RFC 3339: %v", ev.ID, ev.Time, err)
	}
	if serverCallID != "" && ev.Data.ServerCallID != serverCallID {
		t.Errorf("event %s: serverCallId %q, want %q", ev.ID, ev.Data.ServerCallID, serverCallID)
	}
	if ev.Data.RecordingKind == "" {
		t.Errorf("event %s: recordingKind is empty", ev.ID)
	}
}

func summarize(ds []delivery) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString("\n  " + d.Path + " " + string(d.Body))
	}
	return b.String()
}

// answerValidation completes Event Grid's subscription validation handshake
// by echoing the validationCode.
func answerValidation(w http.ResponseWriter, body []byte) {
	var events []struct {
		Data struct {
			ValidationCode string `json:"validationCode"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &events); err != nil || len(events) == 0 || events[0].Data.ValidationCode == "" {
		http.Error(w, "not a validation event", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"validationResponse": events[0].Data.ValidationCode})
}

// fileStatusEvent is a RecordingFileStatusUpdated event in the Event Grid
// schema, decoded with the test's own structs.
type fileStatusEvent struct {
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	EventType string `json:"eventType"`
	Data      struct {
		RecordingStorageInfo struct {
			RecordingChunks []recordingChunk `json:"recordingChunks"`
		} `json:"recordingStorageInfo"`
		RecordingContentType string `json:"recordingContentType"`
		RecordingChannelType string `json:"recordingChannelType"`
		RecordingFormatType  string `json:"recordingFormatType"`
		SessionEndReason     string `json:"sessionEndReason"`
	} `json:"data"`
}

// WaitForFileStatus waits for a RecordingFileStatusUpdated event whose
// subject names recordingID.
func (r *callbackReceiver) WaitForFileStatus(t *testing.T, recordingID string, timeout time.Duration) fileStatusEvent {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		for _, d := range r.Deliveries() {
			var events []fileStatusEvent
			if json.Unmarshal(d.Body, &events) != nil {
				continue
			}
			for _, ev := range events {
				if ev.EventType == "Microsoft.Communication.RecordingFileStatusUpdated" && strings.Contains(ev.Subject, recordingID) {
					return ev
				}
			}
		}
		select {
		case <-r.arrived:
		case <-time.After(200 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("no RecordingFileStatusUpdated for %s within %s; deliveries: %s", recordingID, timeout, summarize(r.Deliveries()))
		}
	}
}
