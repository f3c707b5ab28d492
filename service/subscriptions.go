package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/webhook"
)

// SubscriptionStore persists event subscriptions and gives operators the
// outbox's dead letters and event feed (implemented by sqlite.DB).
type SubscriptionStore interface {
	PutSubscription(ctx context.Context, s *callrec.Subscription, token string) error
	SetSubscriptionState(ctx context.Context, name string, state callrec.SubscriptionState, reason string, deadline *time.Time) error
	ValidateSubscription(ctx context.Context, name, token string, now time.Time) error
	Subscription(ctx context.Context, name string) (*callrec.Subscription, error)
	Subscriptions(ctx context.Context) ([]*callrec.Subscription, error)
	DeleteSubscription(ctx context.Context, name string) error

	DeadLetters(ctx context.Context, limit int) ([]callrec.Delivery, error)
	ReplayDeadLetter(ctx context.Context, id int64, now time.Time) error
	EventsAfter(ctx context.Context, after int64, limit int) ([]callrec.Event, []int64, error)
	LastEventPosition(ctx context.Context) (int64, error)
}

// SubscriptionsConfig wires Subscriptions.
type SubscriptionsConfig struct {
	Store SubscriptionStore
	// Handshake validates endpoints; its ValidationURL is set per
	// subscription.
	Handshake webhook.Handshake
	// PublicURL is where endpoints GET their manual validation URL.
	PublicURL string
	// ValidationDeadline is how long an Event Grid endpoint that did not
	// answer the handshake has to GET its validationUrl (Event Grid: 5 min).
	ValidationDeadline time.Duration
	// Notify wakes the webhook worker (after a replay).
	Notify func()
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultValidationDeadline is Event Grid's manual validation window.
const DefaultValidationDeadline = 5 * time.Minute

// Error codes of subscription requests.
const (
	CodeInvalidSubscription = "InvalidEventSubscription"
)

// Subscriptions manages event subscriptions: it validates endpoints on
// create, keeps the signing secrets that the webhook worker asks for, and
// replays dead letters.
type Subscriptions struct {
	cfg SubscriptionsConfig
	log *slog.Logger

	mu      sync.RWMutex
	secrets map[string]string // subscription name → signing secret
}

// NewSubscriptions loads the subscriptions' secrets and returns the manager.
func NewSubscriptions(ctx context.Context, cfg SubscriptionsConfig) (*Subscriptions, error) {
	if cfg.ValidationDeadline <= 0 {
		cfg.ValidationDeadline = DefaultValidationDeadline
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Notify == nil {
		cfg.Notify = func() {}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	m := &Subscriptions{cfg: cfg, log: log, secrets: map[string]string{}}
	subs, err := cfg.Store.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		m.secrets[s.Name] = s.Secret
	}
	return m, nil
}

// Secret returns the signing secret of a subscription ("" for none). The
// webhook worker calls it for every attempt.
func (m *Subscriptions) Secret(name string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.secrets[name]
}

var subscriptionName = regexp.MustCompile(`^[A-Za-z0-9-]{3,64}$`)

// ParseSchema accepts the schema names of callrec and Event Grid,
// case-insensitively; empty is the Event Grid schema.
func ParseSchema(s string) (callrec.Schema, error) {
	switch strings.ToLower(s) {
	case "", "eventgrid", "eventgridschema":
		return callrec.SchemaEventGrid, nil
	case "cloudevents", "cloudeventschemav1_0", "cloudevents1.0":
		return callrec.SchemaCloudEvents, nil
	}
	return "", callrec.FieldErrorf("schema", CodeInvalidSubscription, "schema %q is not eventGrid or cloudEvents", s)
}

func (m *Subscriptions) check(s *callrec.Subscription) error {
	if !subscriptionName.MatchString(s.Name) {
		return callrec.FieldErrorf("name", CodeInvalidSubscription, "subscription name %q must be 3–64 letters, digits or hyphens", s.Name)
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return callrec.FieldErrorf("endpointUrl", CodeInvalidSubscription, "endpointUrl %q is not an absolute http(s) URL", s.URL)
	}
	schema, err := ParseSchema(string(s.Schema))
	if err != nil {
		return err
	}
	s.Schema = schema
	for _, t := range s.Types {
		if strings.TrimSpace(t) == "" {
			return callrec.FieldErrorf("includedEventTypes", CodeInvalidSubscription, "an included event type is empty")
		}
	}
	return nil
}

// Put creates or replaces a subscription and validates its endpoint, as
// Event Grid does on create: an Event Grid schema endpoint must echo the
// validation code or GET the validationUrl before the deadline; a
// CloudEvents endpoint must allow callrec's origin. A replacement that keeps
// the endpoint and schema of a validated subscription stays validated. The
// returned subscription says whether it is validated and, if not, why; only
// a validated one receives events. created is false for a replacement.
func (m *Subscriptions) Put(ctx context.Context, in callrec.Subscription) (out *callrec.Subscription, created bool, err error) {
	s := in
	if err := m.check(&s); err != nil {
		return nil, false, err
	}
	now := m.cfg.Now().UTC()
	s.CreatedAt, s.State, s.Reason, s.ValidationDeadline = now, callrec.SubscriptionAwaitingValidation, "validation in progress", nil
	old, err := m.cfg.Store.Subscription(ctx, s.Name)
	switch {
	case err == nil:
		s.CreatedAt = old.CreatedAt
		if old.State == callrec.SubscriptionValidated && old.URL == s.URL && old.Schema == s.Schema {
			s.State, s.Reason = callrec.SubscriptionValidated, ""
		}
	case callrec.KindOf(err) != callrec.KindNotFound:
		return nil, false, err
	}
	created = old == nil
	token := randomToken()
	if err := m.cfg.Store.PutSubscription(ctx, &s, token); err != nil {
		return nil, false, err
	}
	m.setSecret(s.Name, s.Secret)
	if s.State != callrec.SubscriptionValidated {
		m.validate(ctx, &s, token)
	}
	got, err := m.Get(ctx, s.Name)
	return got, created, err
}

// validate runs the handshake and stores its outcome.
func (m *Subscriptions) validate(ctx context.Context, s *callrec.Subscription, token string) {
	h := m.cfg.Handshake
	h.Secret = s.Secret
	if s.Schema == callrec.SchemaEventGrid {
		h.ValidationURL = m.validationURL(s.Name, token)
	}
	err := h.Validate(ctx, callrec.Target{URL: s.URL, Schema: s.Schema, Subscription: s.Name})
	state, reason, deadline := callrec.SubscriptionValidated, "", (*time.Time)(nil)
	if err != nil {
		reason = callrec.AsError(err).Message
		state = callrec.SubscriptionFailed
		if s.Schema == callrec.SchemaEventGrid {
			dl := m.cfg.Now().UTC().Add(m.cfg.ValidationDeadline)
			state, deadline = callrec.SubscriptionAwaitingValidation, &dl
			reason += "; the endpoint may still GET the validationUrl before " + dl.Format(time.RFC3339)
		}
	}
	// The endpoint may have validated by a GET while the handshake ran.
	if cur, gerr := m.cfg.Store.Subscription(ctx, s.Name); gerr == nil && cur.State == callrec.SubscriptionValidated {
		return
	}
	if err := m.cfg.Store.SetSubscriptionState(ctx, s.Name, state, reason, deadline); err != nil {
		m.log.ErrorContext(ctx, "storing subscription validation", "subscription", s.Name, "err", err)
		return
	}
	m.log.InfoContext(ctx, "subscription validation", "subscription", s.Name, "state", state, "reason", reason)
}

func (m *Subscriptions) validationURL(name, token string) string {
	return strings.TrimRight(m.cfg.PublicURL, "/") + "/eventSubscriptions/" + url.PathEscape(name) +
		"/validate?token=" + url.QueryEscape(token)
}

// ValidateByURL is the manual validation: the endpoint GETs the
// validationUrl it was sent.
func (m *Subscriptions) ValidateByURL(ctx context.Context, name, token string) error {
	if err := m.cfg.Store.ValidateSubscription(ctx, name, token, m.cfg.Now().UTC()); err != nil {
		return err
	}
	m.log.InfoContext(ctx, "subscription validated by its validationUrl", "subscription", name)
	return nil
}

// Get returns a subscription without its secret. An Event Grid
// subscription whose manual validation deadline has passed reads as failed.
func (m *Subscriptions) Get(ctx context.Context, name string) (*callrec.Subscription, error) {
	s, err := m.cfg.Store.Subscription(ctx, name)
	if err != nil {
		return nil, err
	}
	return m.present(s), nil
}

// List returns every subscription without secrets.
func (m *Subscriptions) List(ctx context.Context) ([]*callrec.Subscription, error) {
	subs, err := m.cfg.Store.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*callrec.Subscription, 0, len(subs))
	for _, s := range subs {
		out = append(out, m.present(s))
	}
	return out, nil
}

func (m *Subscriptions) present(s *callrec.Subscription) *callrec.Subscription {
	s.Secret = ""
	if s.State == callrec.SubscriptionAwaitingValidation && s.ValidationDeadline != nil && m.cfg.Now().After(*s.ValidationDeadline) {
		s.State = callrec.SubscriptionFailed
		s.Reason = "validation deadline passed: " + s.Reason
	}
	return s
}

// Delete removes a subscription; deliveries already queued for it still go.
func (m *Subscriptions) Delete(ctx context.Context, name string) error {
	if err := m.cfg.Store.DeleteSubscription(ctx, name); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.secrets, name)
	m.mu.Unlock()
	return nil
}

// DeadLetters lists dead deliveries, newest first.
func (m *Subscriptions) DeadLetters(ctx context.Context, limit int) ([]callrec.Delivery, error) {
	return m.cfg.Store.DeadLetters(ctx, limit)
}

// Replay puts a dead delivery back in the outbox with a fresh budget.
func (m *Subscriptions) Replay(ctx context.Context, id int64) error {
	if err := m.cfg.Store.ReplayDeadLetter(ctx, id, m.cfg.Now().UTC()); err != nil {
		return err
	}
	m.cfg.Notify()
	m.log.InfoContext(ctx, "dead letter replayed", "delivery", id)
	return nil
}

// EventsAfter returns up to limit stored events after a feed position,
// with their positions (see sqlite.DB.EventsAfter).
func (m *Subscriptions) EventsAfter(ctx context.Context, after int64, limit int) ([]callrec.Event, []int64, error) {
	return m.cfg.Store.EventsAfter(ctx, after, limit)
}

// LastEventPosition is the feed position of the newest event.
func (m *Subscriptions) LastEventPosition(ctx context.Context) (int64, error) {
	return m.cfg.Store.LastEventPosition(ctx)
}

func (m *Subscriptions) setSecret(name, secret string) {
	m.mu.Lock()
	m.secrets[name] = secret
	m.mu.Unlock()
}

func randomToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
