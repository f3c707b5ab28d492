package callrec

import (
	"slices"
	"strings"
	"time"
)

// SubscriptionState says whether a subscription receives events.
type SubscriptionState string

// Subscription states. Only a validated subscription receives events.
const (
	SubscriptionValidated          SubscriptionState = "validated"
	SubscriptionAwaitingValidation SubscriptionState = "awaitingValidation"
	SubscriptionFailed             SubscriptionState = "failed"
)

// Subscription is a standing order to deliver matching events to an
// endpoint, as an Event Grid event subscription is.
type Subscription struct {
	Name   string `json:"name"`
	URL    string `json:"endpointUrl"`
	Schema Schema `json:"schema"`
	// Types filters by event type (case-insensitive); empty matches all.
	Types []string `json:"includedEventTypes,omitempty"`
	// SubjectPrefix filters by subject; empty matches all.
	SubjectPrefix string `json:"subjectBeginsWith,omitempty"`
	// Secret signs deliveries (callrec-signature); never returned by reads.
	Secret string            `json:"secret,omitempty"`
	State  SubscriptionState `json:"state"`
	// Reason says why a subscription is not validated.
	Reason string `json:"reason,omitempty"`
	// ValidationDeadline is when an awaitingValidation subscription fails.
	ValidationDeadline *time.Time `json:"validationDeadline,omitempty"`
	CreatedAt          time.Time  `json:"createdAt"`

	// ProvisioningState is State in Event Grid's words: Succeeded
	// (validated), AwaitingManualAction (awaitingValidation: the handshake
	// is retried, and an Event Grid endpoint may GET its validationUrl,
	// until ValidationDeadline) or Failed. Set on reads only.
	ProvisioningState string `json:"provisioningState,omitempty"`
	// ValidationAttempts counts the handshakes tried since the subscription
	// was created or re-pointed (by this server process); set on reads only.
	ValidationAttempts int `json:"validationAttempts,omitempty"`
	// NextValidationAttempt is when the handshake is tried again; set on
	// reads only.
	NextValidationAttempt *time.Time `json:"nextValidationAttempt,omitempty"`
}

// Provisioning states (Event Grid's names).
const (
	ProvisioningSucceeded            = "Succeeded"
	ProvisioningAwaitingManualAction = "AwaitingManualAction"
	ProvisioningFailed               = "Failed"
)

// Matches reports whether s wants an event of type typ with subject subject.
func (s *Subscription) Matches(typ, subject string) bool {
	if len(s.Types) > 0 && !slices.ContainsFunc(s.Types, func(t string) bool { return strings.EqualFold(t, typ) }) {
		return false
	}
	return strings.HasPrefix(subject, s.SubjectPrefix)
}

// SubscriberTargets returns the targets of the subscriptions in subs that
// want an event e (the stores fan each event out to the validated ones).
func SubscriberTargets(subs []*Subscription, e Event) []Target {
	var out []Target
	for _, s := range subs {
		if s.Matches(e.Type, e.Subject) {
			out = append(out, Target{URL: s.URL, Schema: s.Schema, Subscription: s.Name})
		}
	}
	return out
}
