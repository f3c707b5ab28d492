package callrec

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
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

// AttemptRecord is the outcome of an attempt at delivery ID.
type AttemptRecord struct {
	ID      int64
	Attempt Attempt
}

// Destination names the endpoint that t's deliveries go to:
// scheme://host[:port] of its URL, lower-cased, or the URL itself when it
// has no host. Each destination has its own concurrency budget, so that a
// slow or dead endpoint only slows itself.
func (t Target) Destination() string {
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return t.URL
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// Claim asks an Outbox for due deliveries.
type Claim struct {
	Now   time.Time
	Limit int
	// Lease is how long claimed deliveries stay hidden from other claims.
	Lease time.Duration
	// PerDestination bounds the deliveries of one destination that the
	// claimer holds, those in Held included; 0 means no bound.
	PerDestination int
	// Held counts the deliveries the claimer holds already, by destination.
	Held map[string]int
}

// Full reports whether the claimer may take no more deliveries to dest
// after taking extra of them in this claim.
func (c Claim) Full(dest string, extra int) bool {
	return c.PerDestination > 0 && c.Held[dest]+extra >= c.PerDestination
}

// Outbox is the durable queue of deliveries that a webhook worker drains.
type Outbox interface {
	// ClaimDue leases up to c.Limit pending deliveries due at c.Now, earliest
	// due first, skipping those whose destination is full (Claim.Full): it
	// pushes their next attempt to Now+Lease so that other claims skip them.
	// next is when the earliest pending delivery that the claimer may still
	// take is due (zero if none; at or before Now when more are due).
	ClaimDue(ctx context.Context, c Claim) (claimed []Delivery, next time.Time, err error)
	// RecordAttempts stores the outcomes of attempts, all in one write.
	RecordAttempts(ctx context.Context, records []AttemptRecord) error
}
