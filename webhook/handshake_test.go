package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// eventGridEndpoint answers the validation handshake as an Event Grid
// webhook does; mangle alters the answer.
func eventGridEndpoint(t *testing.T, mangle func(code string) (int, string)) *receiver {
	return newReceiver(t, func(_ int, r *http.Request) reply {
		body, _ := io.ReadAll(r.Body)
		var evs []struct {
			ID        string `json:"id"`
			EventType string `json:"eventType"`
			Data      struct {
				ValidationCode string `json:"validationCode"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &evs); err != nil || len(evs) != 1 || r.Header.Get("aeg-event-type") != "SubscriptionValidation" ||
			evs[0].EventType != EventSubscriptionValidation {
			return reply{status: http.StatusBadRequest, body: "not a validation event"}
		}
		status, answer := mangle(evs[0].Data.ValidationCode)
		return reply{status: status, body: answer}
	})
}

func TestHandshakeEventGrid(t *testing.T) {
	ok := eventGridEndpoint(t, func(code string) (int, string) {
		return http.StatusOK, `{"validationResponse":"` + code + `"}`
	})
	h := Handshake{Topic: "/callrec/instances/test", Secret: "k"}
	target := callrec.Target{URL: ok.srv.URL, Schema: callrec.SchemaEventGrid, Subscription: "files"}
	if err := h.Validate(context.Background(), target); err != nil {
		t.Fatalf("valid endpoint refused: %v", err)
	}
	r := ok.requests()[0]
	if err := VerifySignature(r.header.Get(SignatureHeader), "k", r.body, time.Now(), time.Minute); err != nil {
		t.Errorf("validation event signature: %v", err)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var evs []struct {
		ID              string          `json:"id"`
		Topic           string          `json:"topic"`
		Subject         *string         `json:"subject"`
		MetadataVersion string          `json:"metadataVersion"`
		DataVersion     string          `json:"dataVersion"`
		EventTime       string          `json:"eventTime"`
		Data            json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.body, &evs); err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	if !uuid.MatchString(e.ID) || e.Topic != h.Topic || e.Subject == nil || *e.Subject != "" || e.MetadataVersion != "1" ||
		e.DataVersion != "1" || e.EventTime == "" || !strings.Contains(string(e.Data), `"validationCode":"`) {
		t.Errorf("validation event %s", r.body)
	}

	for name, mangle := range map[string]func(string) (int, string){
		"wrong code":    func(string) (int, string) { return 200, `{"validationResponse":"guess"}` },
		"202":           func(code string) (int, string) { return 202, `{"validationResponse":"` + code + `"}` },
		"not json":      func(string) (int, string) { return 200, `ok` },
		"server error":  func(string) (int, string) { return 500, `` },
		"empty success": func(string) (int, string) { return 200, `{}` },
	} {
		t.Run(name, func(t *testing.T) {
			bad := eventGridEndpoint(t, mangle)
			err := Handshake{}.Validate(context.Background(), callrec.Target{URL: bad.srv.URL, Schema: callrec.SchemaEventGrid})
			if callrec.CodeOf(err) != CodeValidationFailed || callrec.KindOf(err) != callrec.KindInvalid {
				t.Fatalf("got %v, want a SubscriptionValidationFailed error", err)
			}
		})
	}
}

func TestHandshakeCloudEvents(t *testing.T) {
	endpoint := func(allowed string) *receiver {
		return newReceiver(t, func(_ int, r *http.Request) reply {
			if r.Method != http.MethodOptions || r.Header.Get("WebHook-Request-Origin") != "callrec.example" {
				return reply{status: http.StatusMethodNotAllowed}
			}
			if allowed == "" {
				return reply{}
			}
			return reply{header: map[string]string{"WebHook-Allowed-Origin": allowed}}
		})
	}
	h := Handshake{Origin: "callrec.example"}
	for allowed, valid := range map[string]bool{"callrec.example": true, "*": true, "other.example, callrec.example": true, "other.example": false, "": false} {
		rc := endpoint(allowed)
		for _, schema := range []callrec.Schema{callrec.SchemaCloudEvents, callrec.SchemaCloudEventsArray} {
			err := h.Validate(context.Background(), callrec.Target{URL: rc.srv.URL, Schema: schema})
			if valid && err != nil {
				t.Errorf("allowed origin %q, %s: refused: %v", allowed, schema, err)
			}
			if !valid && callrec.CodeOf(err) != CodeValidationFailed {
				t.Errorf("allowed origin %q, %s: got %v, want a refusal", allowed, schema, err)
			}
		}
	}
}

func TestHandshakeTimeoutAndBadURL(t *testing.T) {
	slow := newReceiver(t, func(int, *http.Request) reply { return reply{delay: 10 * time.Second} })
	err := Handshake{Timeout: 100 * time.Millisecond}.Validate(context.Background(), callrec.Target{URL: slow.srv.URL, Schema: callrec.SchemaEventGrid})
	if callrec.CodeOf(err) != CodeValidationFailed || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("slow endpoint: %v", err)
	}
	for _, url := range []string{"ftp://127.0.0.1/x", "::not a url", ""} {
		if err := (Handshake{}).Validate(context.Background(), callrec.Target{URL: url, Schema: callrec.SchemaCloudEvents}); callrec.CodeOf(err) != CodeValidationFailed {
			t.Errorf("url %q: %v", url, err)
		}
	}
}

// The CloudEvents OPTIONS request is signed over its empty body, as the
// Event Grid validation POST is over its body; without a secret it carries
// no signature.
func TestHandshakeCloudEventsIsSigned(t *testing.T) {
	const secret = "subscription-secret"
	rc := newReceiver(t, func(_ int, r *http.Request) reply {
		return reply{header: map[string]string{"WebHook-Allowed-Origin": "*"}}
	})
	for _, schema := range []callrec.Schema{callrec.SchemaCloudEvents, callrec.SchemaCloudEventsArray} {
		if err := (Handshake{Secret: secret}).Validate(t.Context(), callrec.Target{URL: rc.srv.URL, Schema: schema}); err != nil {
			t.Fatalf("%s: %v", schema, err)
		}
	}
	if err := (Handshake{}).Validate(t.Context(), callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEvents}); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs[:2] {
		if err := VerifySignature(r.header.Get(SignatureHeader), secret, nil, time.Now(), time.Minute); err != nil {
			t.Errorf("signed OPTIONS %d: %v", i+1, err)
		}
		if err := VerifySignature(r.header.Get(SignatureHeader), "another-secret", nil, time.Now(), time.Minute); err == nil {
			t.Errorf("signed OPTIONS %d verifies under another secret", i+1)
		}
	}
	if h := reqs[2].header.Get(SignatureHeader); h != "" {
		t.Errorf("unsigned handshake carries %s: %q", SignatureHeader, h)
	}
}
