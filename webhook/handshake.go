package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// Endpoint validation, done once when a subscription is created.
const (
	// EventSubscriptionValidation is the event type of Event Grid's
	// validation handshake.
	EventSubscriptionValidation = "Microsoft.EventGrid.SubscriptionValidationEvent"
	// HeaderWebHookRequestOrigin and HeaderWebHookAllowedOrigin carry the
	// CloudEvents webhook abuse-protection handshake.
	HeaderWebHookRequestOrigin = "WebHook-Request-Origin"
	HeaderWebHookAllowedOrigin = "WebHook-Allowed-Origin"
	// CodeValidationFailed is the error code of a failed handshake.
	CodeValidationFailed = "SubscriptionValidationFailed"

	eventGridValidation    = "SubscriptionValidation"
	defaultHandshakeOrigin = "callrec"
)

// Handshake proves that an endpoint wants callrec's events before a
// subscription to it is created, the way Event Grid does:
//
//   - eventGrid schema: POST an array of one
//     Microsoft.EventGrid.SubscriptionValidationEvent (header
//     aeg-event-type: SubscriptionValidation) whose data holds a
//     validationCode; the endpoint must answer 200 with
//     {"validationResponse":"<validationCode>"}.
//   - cloudEvents and cloudEventsArray schemas: the CloudEvents webhook
//     abuse protection: OPTIONS with WebHook-Request-Origin; the endpoint must
//     answer 2xx with WebHook-Allowed-Origin equal to that origin or "*".
type Handshake struct {
	// Client sends the requests; nil means one that follows no redirects.
	Client *http.Client
	// Timeout bounds the exchange (Event Grid: 30s).
	Timeout time.Duration
	// Topic is the validation event's topic (eventGrid schema).
	Topic string
	// ValidationURL, when set, goes into the event's data.validationUrl for
	// endpoints that validate by a GET on it instead of answering.
	ValidationURL string
	// Origin is sent as WebHook-Request-Origin; default "callrec".
	Origin    string
	UserAgent string
	// Secret, when set, signs the validation request as deliveries are
	// signed (callrec-signature): the Event Grid POST over its body, the
	// CloudEvents OPTIONS over the empty body.
	Secret string
	Now    func() time.Time
}

// Validate performs the handshake with t's endpoint. A refusal is a
// KindInvalid *callrec.Error with code SubscriptionValidationFailed that says
// what the endpoint answered.
func (h Handshake) Validate(ctx context.Context, t callrec.Target) error {
	h = h.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	switch t.Schema {
	case callrec.SchemaEventGrid:
		return h.validateEventGrid(ctx, t)
	case callrec.SchemaCloudEvents, callrec.SchemaCloudEventsArray:
		return h.validateCloudEvents(ctx, t)
	}
	return callrec.FieldErrorf("schema", CodeValidationFailed, "unknown delivery schema %q", t.Schema)
}

// ValidateEndpoint is Validate with the subscription's signing secret and,
// for the eventGrid schema, the validationUrl to offer ("" for none): the
// validator the service's subscriptions use.
func (h Handshake) ValidateEndpoint(ctx context.Context, t callrec.Target, secret, validationURL string) error {
	h.Secret, h.ValidationURL = secret, validationURL
	return h.Validate(ctx, t)
}

func (h Handshake) withDefaults() Handshake {
	if h.Client == nil {
		h.Client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if h.Timeout <= 0 {
		h.Timeout = DefaultAttemptTimeout
	}
	if h.Origin == "" {
		h.Origin = defaultHandshakeOrigin
	}
	if h.UserAgent == "" {
		h.UserAgent = DefaultUserAgent
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	return h
}

// validationData is the data of a SubscriptionValidationEvent.
type validationData struct {
	ValidationCode string `json:"validationCode"`
	ValidationURL  string `json:"validationUrl,omitempty"`
}

func (h Handshake) validateEventGrid(ctx context.Context, t callrec.Target) error {
	code := newUUID()
	data, err := json.Marshal(validationData{ValidationCode: code, ValidationURL: h.ValidationURL})
	if err != nil {
		return callrec.Internal(err, "encoding validation event")
	}
	body, err := marshal([]acswire.EventGridEvent{{
		ID: newUUID(), Topic: h.Topic, Subject: "", EventType: EventSubscriptionValidation,
		DataVersion: "1", MetadataVersion: eventGridMetadataVersion, EventTime: formatTime(h.Now()),
		Data: json.RawMessage(data),
	}})
	if err != nil {
		return callrec.Internal(err, "encoding validation event")
	}
	req, err := h.request(ctx, http.MethodPost, t.URL, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ContentTypeJSON)
	req.Header.Set(HeaderEventGridEventType, eventGridValidation)
	req.Header.Set(HeaderEventGridSubscription, t.Subscription)
	req.Header.Set(HeaderEventGridDeliveryCount, "0")
	req.Header.Set(HeaderEventGridDataVersion, "1")
	req.Header.Set(HeaderEventGridMetadataVersion, eventGridMetadataVersion)
	resp, reply, err := h.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return refused("answered HTTP %d to the validation event; it must answer 200 with the validationResponse", resp.StatusCode)
	}
	var answer struct {
		ValidationResponse string `json:"validationResponse"`
	}
	if err := json.Unmarshal(reply, &answer); err != nil {
		return refused("answer to the validation event is not JSON: %s", snippet(reply))
	}
	if answer.ValidationResponse != code {
		return refused("validationResponse %q does not match the validationCode sent", answer.ValidationResponse)
	}
	return nil
}

func (h Handshake) validateCloudEvents(ctx context.Context, t callrec.Target) error {
	req, err := h.request(ctx, http.MethodOptions, t.URL, nil)
	if err != nil {
		return err
	}
	req.Header.Set(HeaderWebHookRequestOrigin, h.Origin)
	resp, _, err := h.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return refused("answered HTTP %d to the OPTIONS abuse-protection request", resp.StatusCode)
	}
	allowed := resp.Header.Values(HeaderWebHookAllowedOrigin)
	for _, v := range allowed {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o == "*" || strings.EqualFold(o, h.Origin) {
				return nil
			}
		}
	}
	return refused("%s is %q, not %q or \"*\"", HeaderWebHookAllowedOrigin, strings.Join(allowed, ","), h.Origin)
}

func (h Handshake) request(ctx context.Context, method, url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		return nil, callrec.FieldErrorf("endpointUrl", CodeValidationFailed, "endpoint URL %q is not an http(s) URL", url)
	}
	req.Header.Set("User-Agent", h.UserAgent)
	if h.Secret != "" {
		// Signed as deliveries are: the CloudEvents OPTIONS request over its
		// empty body.
		req.Header.Set(SignatureHeader, SignBody(h.Secret, h.Now(), body))
	}
	return req, nil
}

// do sends req and reads up to maxDrain of the answer.
func (h Handshake) do(req *http.Request) (*http.Response, []byte, error) {
	resp, err := h.Client.Do(req)
	if err != nil {
		return nil, nil, refused("%s", transportError(req.Context(), err, h.Timeout.String()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDrain))
	if err != nil {
		return nil, nil, refused("reading the answer: %v", err)
	}
	return resp, body, nil
}

func refused(format string, args ...any) error {
	return callrec.FieldErrorf("endpointUrl", CodeValidationFailed, "endpoint validation failed: %s", fmt.Sprintf(format, args...))
}

// newUUID returns a random (version 4) UUID, as Event Grid uses for ids and
// validation codes.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
