package callrec

import (
	"context"
	"encoding/json"
	"time"
)

// Event types callrec emits. ACS names where ACS has them.
const (
	EventRecordingStateChanged      = "Microsoft.Communication.RecordingStateChanged"
	EventRecordingFileStatusUpdated = "Microsoft.Communication.RecordingFileStatusUpdated"
)

// Event is one immutable occurrence, stored in the outbox in the same
// transaction as the state change that caused it. ID is stable across
// every delivery attempt.
type Event struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Source      string          `json:"source"`
	Subject     string          `json:"subject"`
	Time        time.Time       `json:"time"`
	DataVersion string          `json:"dataVersion,omitempty"`
	Data        json.RawMessage `json:"data"`
}

// Schema is the wire encoding of a delivery.
type Schema string

// Delivery schemas.
const (
	// SchemaCloudEventsArray is a JSON array of one CloudEvent: ACS's mid-call
	// callback encoding (recordingStateCallbackUri).
	SchemaCloudEventsArray Schema = "cloudEventsArray"
	// SchemaCloudEvents is one structured-mode CloudEvent 1.0.
	SchemaCloudEvents Schema = "cloudEvents"
	// SchemaEventGrid is a JSON array of Event Grid schema events.
	SchemaEventGrid Schema = "eventGrid"
)

// Target is where one copy of an event goes.
type Target struct {
	URL    string `json:"url"`
	Schema Schema `json:"schema"`
	// Subscription names the event subscription this delivery is for;
	// empty for per-recording state callbacks.
	Subscription string `json:"subscription,omitempty"`
}

// Outgoing is an event and the targets to deliver it to.
type Outgoing struct {
	Event   Event
	Targets []Target
}

// DeliveryStatus is the state of one delivery in the outbox.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryDead      DeliveryStatus = "dead"
)

// Delivery is one event on its way to one target.
type Delivery struct {
	ID            int64          `json:"id"`
	Event         Event          `json:"event"`
	Target        Target         `json:"target"`
	Status        DeliveryStatus `json:"status"`
	Attempts      int            `json:"attempts"`
	NextAttemptAt time.Time      `json:"nextAttemptAt"`
	LastStatus    int            `json:"lastStatus,omitempty"`
	LastError     string         `json:"lastError,omitempty"`
	CreatedAt     time.Time      `json:"createdAt"`
}

// Attempt is the outcome of one delivery attempt, recorded by the worker.
type Attempt struct {
	At         time.Time
	HTTPStatus int    // 0 when no response came back
	Error      string // empty on success
	// Next is when to try again; zero means final (delivered or dead).
	Next   time.Time
	Status DeliveryStatus
}

// Outbox is the durable queue of deliveries that a webhook worker drains.
type Outbox interface {
	// ClaimDue returns up to limit pending deliveries due at now, and pushes
	// their next attempt to now+lease so that another worker skips them.
	ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error)
	// RecordAttempt stores the outcome of one attempt.
	RecordAttempt(ctx context.Context, id int64, a Attempt) error
	// NextDue returns when the earliest pending delivery is due (zero if none).
	NextDue(ctx context.Context) (time.Time, error)
}
