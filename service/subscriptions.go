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
)

// SubscriptionStore persists event subscriptions and gives operators the
// outbox's dead letters and event feed (implemented by sqlite.DB).
type SubscriptionStore interface {
	PutSubscription(ctx context.Context, s *callrec.Subscription, token string) error
	SetSubscriptionState(ctx context.Context, name string, state callrec.SubscriptionState, reason string, deadline *time.Time) error
	ValidateSubscription(ctx context.Context, name, token string, now time.Time) error
	SubscriptionToken(ctx context.Context, name string) (string, error)
	Subscription(ctx context.Context, name string) (*callrec.Subscription, error)
	Subscriptions(ctx context.Context) ([]*callrec.Subscription, error)
	DeleteSubscription(ctx context.Context, name string) error

	DeadLetters(ctx context.Context, limit int) ([]callrec.Delivery, error)
	ReplayDeadLetter(ctx context.Context, id int64, now time.Time) error
	EventsAfter(ctx context.Context, after int64, limit int) ([]callrec.Event, []int64, error)
	LastEventPosition(ctx context.Context) (int64, error)
}

// EndpointValidator runs the validation handshake with a subscription's
// endpoint t: secret ("" for none) signs it, and validationURL ("" for
// none) is offered to an Event Grid endpoint that validates by a GET
// instead of answering. A refusal is an error that says what the endpoint
// answered. webhook.Handshake implements it.
type EndpointValidator interface {
	ValidateEndpoint(ctx context.Context, t callrec.Target, secret, validationURL string) error
}

// SubscriptionsConfig wires Subscriptions.
type SubscriptionsConfig struct {
	Store     SubscriptionStore
	Validator EndpointValidator
	// PublicURL is where endpoints GET their manual validation URL.
	PublicURL string
	// ValidationDeadline is how long an endpoint that failed the handshake
	// stays awaitingValidation (retried, and for Event Grid free to GET its
	// validationUrl) before it fails (Event Grid: 5 min).
	ValidationDeadline time.Duration
	// ValidationRetries are the waits before the 2nd, 3rd, ... handshake
	// of an endpoint that failed it; the last repeats until the deadline.
	// Default DefaultValidationRetries.
	ValidationRetries []time.Duration
	// Notify wakes the webhook worker (after a replay).
	Notify func()
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultValidationDeadline is Event Grid's manual validation window.
const DefaultValidationDeadline = 5 * time.Minute

// DefaultValidationRetries: 10 s, 30 s, 1 min, then every 2 min until the
// deadline.
var DefaultValidationRetries = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute}

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
	// retries holds the handshake retries of subscriptions awaiting
	// validation, by name; Run works through them.
	retries map[string]*retry
	wake    chan struct{}
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
	if len(cfg.ValidationRetries) == 0 {
		cfg.ValidationRetries = DefaultValidationRetries
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	m := &Subscriptions{cfg: cfg, log: log, secrets: map[string]string{}, retries: map[string]*retry{},
		wake: make(chan struct{}, 1)}
	subs, err := cfg.Store.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	now := cfg.Now().UTC()
	for _, s := range subs {
		m.secrets[s.Name] = s.Secret
		// Handshakes a previous process was retrying go on at once.
		if s.State == callrec.SubscriptionAwaitingValidation && s.ValidationDeadline != nil && now.Before(*s.ValidationDeadline) {
			m.retries[s.Name] = &retry{url: s.URL, schema: s.Schema, next: now, deadline: *s.ValidationDeadline}
		}
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
// CloudEvents endpoint must allow callrec's origin. An endpoint that fails
// the handshake stays awaitingValidation until the deadline while Run
// retries the handshake, then fails. A replacement that keeps the endpoint
// and schema of a validated subscription stays validated. The returned
// subscription says whether it is validated and, if not, why; only a
// validated one receives events. created is false for a replacement.
func (m *Subscriptions) Put(ctx context.Context, in callrec.Subscription) (out *callrec.Subscription, created bool, err error) {
	s := in
	if err := m.check(&s); err != nil {
		return nil, false, err
	}
	now := m.cfg.Now().UTC()
	s.CreatedAt, s.State, s.Reason, s.ValidationDeadline = now, callrec.SubscriptionAwaitingValidation, "validation in progress", nil
	s.ProvisioningState, s.ValidationAttempts, s.NextValidationAttempt = "", 0, nil
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
	m.mu.Lock()
	delete(m.retries, s.Name)
	m.mu.Unlock()
	if s.State != callrec.SubscriptionValidated {
		r := &retry{url: s.URL, schema: s.Schema, deadline: now.Add(m.cfg.ValidationDeadline)}
		m.handshake(ctx, &s, token, r)
	}
	got, err := m.Get(ctx, s.Name)
	return got, created, err
}

// handshake runs one validation handshake for s and stores its outcome: on
// a refusal s stays awaitingValidation until r.deadline and r says when to
// try again (zero when the next try would fall past the deadline).
func (m *Subscriptions) handshake(ctx context.Context, s *callrec.Subscription, token string, r *retry) {
	validationURL := ""
	if s.Schema == callrec.SchemaEventGrid {
		validationURL = m.validationURL(s.Name, token)
	}
	err := m.cfg.Validator.ValidateEndpoint(ctx, callrec.Target{URL: s.URL, Schema: s.Schema, Subscription: s.Name}, s.Secret, validationURL)
	now := m.cfg.Now().UTC()
	m.mu.Lock()
	r.attempts++
	attempts := r.attempts
	m.mu.Unlock()
	state, reason, deadline, next := callrec.SubscriptionValidated, "", (*time.Time)(nil), time.Time{}
	if err != nil {
		state, deadline = callrec.SubscriptionAwaitingValidation, &r.deadline
		reason = callrec.AsError(err).Message
		if at := now.Add(m.retryWait(attempts)); at.Before(r.deadline) {
			next = at
			reason += "; the handshake is retried until " + r.deadline.Format(time.RFC3339)
		}
		if s.Schema == callrec.SchemaEventGrid {
			reason += "; the endpoint may GET the validationUrl until " + r.deadline.Format(time.RFC3339)
		}
	}
	// The subscription may have changed while the handshake ran: a
	// replacement or delete wins, and so does a GET of the validationUrl.
	cur, gerr := m.cfg.Store.Subscription(ctx, s.Name)
	if gerr != nil || cur.URL != s.URL || cur.Schema != s.Schema || cur.State == callrec.SubscriptionValidated {
		return
	}
	if err := m.cfg.Store.SetSubscriptionState(ctx, s.Name, state, reason, deadline); err != nil {
		m.log.ErrorContext(ctx, "storing subscription validation", "subscription", s.Name, "err", err)
		return
	}
	m.log.InfoContext(ctx, "subscription validation", "subscription", s.Name, "attempt", attempts, "state", state, "reason", reason)
	m.mu.Lock()
	r.next = next
	if state == callrec.SubscriptionValidated {
		delete(m.retries, s.Name)
	} else {
		m.retries[s.Name] = r
	}
	m.mu.Unlock()
	if !next.IsZero() {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// retryWait is the wait after the n-th failed handshake.
func (m *Subscriptions) retryWait(n int) time.Duration {
	steps := m.cfg.ValidationRetries
	return steps[min(n, len(steps))-1]
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
	m.mu.Lock()
	delete(m.retries, name)
	m.mu.Unlock()
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
	switch s.State {
	case callrec.SubscriptionValidated:
		s.ProvisioningState = callrec.ProvisioningSucceeded
	case callrec.SubscriptionAwaitingValidation:
		s.ProvisioningState = callrec.ProvisioningAwaitingManualAction
	default:
		s.ProvisioningState = callrec.ProvisioningFailed
	}
	m.mu.RLock()
	if r := m.retries[s.Name]; r != nil && r.url == s.URL && r.schema == s.Schema {
		s.ValidationAttempts = r.attempts
		if !r.next.IsZero() && s.State == callrec.SubscriptionAwaitingValidation {
			next := r.next
			s.NextValidationAttempt = &next
		}
	}
	m.mu.RUnlock()
	return s
}

// Delete removes a subscription; deliveries already queued for it still go.
func (m *Subscriptions) Delete(ctx context.Context, name string) error {
	if err := m.cfg.Store.DeleteSubscription(ctx, name); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.secrets, name)
	delete(m.retries, name)
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
