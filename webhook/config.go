package webhook

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
)

// Config configures a Worker. Only Outbox is required.
type Config struct {
	Outbox callrec.Outbox
	// Client sends the requests. nil means a client that does not follow
	// redirects (a 3xx is a failed attempt, retried) and keeps
	// PerTargetConcurrency idle connections per host. Each attempt is bounded
	// by Policy.AttemptTimeout whatever the client's own timeout.
	Client *http.Client
	Policy RetryPolicy
	// Concurrency bounds the attempts in flight in all.
	Concurrency int
	// PerTargetConcurrency bounds the attempts in flight to one destination
	// (callrec.Target.Destination: the endpoint's scheme://host), whatever
	// subscriptions or callbacks they are for. A destination that never
	// answers holds this many attempts and no more.
	PerTargetConcurrency int
	// PollInterval bounds how long the worker sleeps when it has not been
	// notified; it also paces retries after an outbox error.
	PollInterval time.Duration
	// Lease is how long a claimed delivery is hidden from other workers. It
	// must exceed Policy.AttemptTimeout; an outcome that could not be stored
	// before the lease ended is dropped, and the delivery tried again.
	Lease time.Duration
	// DrainTimeout bounds the wait for attempts in flight at shutdown.
	DrainTimeout time.Duration
	Logger       *slog.Logger
	// Now is the clock for claims and attempt records.
	Now       func() time.Time
	UserAgent string
	// Secrets returns the signing secret of a subscription ("" to not sign).
	Secrets func(subscription string) string
	// CallbackSecret signs state callbacks (targets with no subscription).
	CallbackSecret string
	// Registerer receives the worker's metrics (metrics.go); nil serves
	// none.
	Registerer prometheus.Registerer
}

// Config defaults.
const (
	DefaultConcurrency          = 128
	DefaultPerTargetConcurrency = 4
	DefaultPollInterval         = 5 * time.Second
	DefaultUserAgent            = "callrec-webhook/1.0"
	// CodeInvalidConfig marks a Config that New refuses.
	CodeInvalidConfig = "InvalidWebhookConfig"
)

func (c Config) withDefaults() (Config, error) {
	if c.Outbox == nil {
		return c, callrec.FieldErrorf("outbox", CodeInvalidConfig, "webhook: Config.Outbox is required")
	}
	c.Policy = c.Policy.withDefaults()
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PerTargetConcurrency <= 0 {
		c.PerTargetConcurrency = DefaultPerTargetConcurrency
	}
	c.PerTargetConcurrency = min(c.PerTargetConcurrency, c.Concurrency)
	if c.Client == nil {
		c.Client = newClient(c.PerTargetConcurrency)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Lease <= 0 {
		c.Lease = 2*c.Policy.AttemptTimeout + 30*time.Second
	}
	if c.Lease <= c.Policy.AttemptTimeout {
		return c, callrec.FieldErrorf("lease", CodeInvalidConfig,
			"webhook: Lease (%s) must exceed the attempt timeout (%s)", c.Lease, c.Policy.AttemptTimeout)
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = c.Policy.AttemptTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Secrets == nil {
		c.Secrets = func(string) string { return "" }
	}
	return c, nil
}

// newClient is the default client: it follows no redirects and keeps a
// connection per concurrent attempt to a host (the standard transport keeps
// two, and would reconnect for every other attempt).
func newClient(perHost int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(perHost, 2)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// secretFor returns the key that signs deliveries to t.
func (c Config) secretFor(t callrec.Target) string {
	if t.Subscription == "" {
		return c.CallbackSecret
	}
	return c.Secrets(t.Subscription)
}
