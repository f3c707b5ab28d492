package webhook

import (
	"time"
)

// RetryPolicy decides when a failed delivery is tried again and when it is
// given up. Zero fields take the EventGridPolicy value.
type RetryPolicy struct {
	// Schedule is the wait after the 1st, 2nd, … failed attempt.
	Schedule []time.Duration
	// Then is the wait after each failure beyond Schedule.
	Then time.Duration
	// TTL bounds the life of a delivery, from when it entered the outbox.
	TTL time.Duration
	// MaxAttempts bounds the number of attempts.
	MaxAttempts int
	// Jitter adds a random fraction in [0, Jitter) of each wait, so that
	// retries of many deliveries spread out. 0 means DefaultJitter; a
	// negative value disables jitter.
	Jitter float64
	// AttemptTimeout bounds one attempt: connect, send and response headers.
	AttemptTimeout time.Duration
	// MaxRetryAfter caps how long a receiver's Retry-After can push the next
	// attempt beyond the schedule.
	MaxRetryAfter time.Duration
}

// Defaults of EventGridPolicy.
const (
	DefaultJitter         = 0.1
	DefaultTTL            = 24 * time.Hour
	DefaultMaxAttempts    = 30
	DefaultAttemptTimeout = 30 * time.Second
	DefaultMaxRetryAfter  = time.Hour
	defaultThen           = 12 * time.Hour
)

// EventGridPolicy is Event Grid's documented retry schedule: 10s, 30s, 1m,
// 5m, 10m, 30m, 1h, 3h, 6h, then every 12h, for at most 24h and 30 attempts,
// 30s per attempt.
func EventGridPolicy() RetryPolicy {
	return RetryPolicy{
		Schedule: []time.Duration{
			10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute,
			30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour,
		},
		Then:           defaultThen,
		TTL:            DefaultTTL,
		MaxAttempts:    DefaultMaxAttempts,
		Jitter:         DefaultJitter,
		AttemptTimeout: DefaultAttemptTimeout,
		MaxRetryAfter:  DefaultMaxRetryAfter,
	}
}

// withDefaults fills zero fields from EventGridPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := EventGridPolicy()
	if len(p.Schedule) == 0 {
		p.Schedule = d.Schedule
	}
	if p.Then <= 0 {
		p.Then = d.Then
	}
	if p.TTL <= 0 {
		p.TTL = d.TTL
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.Jitter == 0 {
		p.Jitter = d.Jitter
	}
	if p.Jitter < 0 {
		p.Jitter = 0
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = d.AttemptTimeout
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

// Step is the scheduled wait after the n-th failed attempt (n from 1),
// before jitter.
func (p RetryPolicy) Step(n int) time.Duration {
	if n >= 1 && n <= len(p.Schedule) {
		return p.Schedule[n-1]
	}
	return p.Then
}
