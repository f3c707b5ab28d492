package webhook

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec"
)

// Dead-letter reasons, the prefix of a dead delivery's last error.
const (
	DeadRejected    = "DeliveryRejected"
	DeadMaxAttempts = "MaxDeliveryAttemptsExceeded"
	DeadTTL         = "TimeToLiveExceeded"
	DeadInvalid     = "InvalidDelivery"
)

// outcome is what one attempt produced.
type outcome struct {
	status     int           // HTTP status; 0 when no response came back
	text       string        // human-readable outcome, empty on success
	retryAfter time.Duration // from a 429/503 Retry-After header; 0 if none
	invalid    bool          // the event could not be encoded
}

func (o outcome) succeeded() bool { return o.status >= 200 && o.status <= 204 && !o.invalid }

// rejected reports a final refusal by the receiver: not worth retrying.
func (o outcome) rejected() bool {
	switch o.status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		return true
	}
	return false
}

// decide turns the outcome of attempt number d.Attempts+1 into the record to
// store. jitter returns a value in [0, 1).
func (p RetryPolicy) decide(d callrec.Delivery, now time.Time, o outcome, jitter func() float64) callrec.Attempt {
	a := callrec.Attempt{At: now, HTTPStatus: o.status}
	switch {
	case o.succeeded():
		a.Status = callrec.DeliveryDelivered
		return a
	case o.invalid:
		return dead(a, DeadInvalid, o.text)
	case o.rejected():
		return dead(a, DeadRejected, o.text)
	}
	n := d.Attempts + 1
	if n >= p.MaxAttempts {
		return dead(a, DeadMaxAttempts, o.text)
	}
	wait := p.Step(n)
	wait += time.Duration(p.Jitter * jitter() * float64(wait))
	if ra := min(o.retryAfter, p.MaxRetryAfter); ra > wait {
		wait = ra
	}
	born := d.CreatedAt
	if born.IsZero() {
		born = d.Event.Time
	}
	next := now.Add(wait)
	if !born.IsZero() && next.After(born.Add(p.TTL)) {
		return dead(a, DeadTTL, o.text)
	}
	a.Status = callrec.DeliveryPending
	a.Error = o.text
	a.Next = next
	return a
}

func dead(a callrec.Attempt, reason, text string) callrec.Attempt {
	a.Status = callrec.DeliveryDead
	a.Error = reason + ": " + text
	return a
}

// responseOutcome describes an HTTP response; snippet is the start of its
// body.
func responseOutcome(resp *http.Response, snippet string, now time.Time) outcome {
	o := outcome{status: resp.StatusCode}
	if o.succeeded() {
		return o
	}
	o.text = fmt.Sprintf("HTTP %s", resp.Status)
	if !strings.HasPrefix(resp.Status, strconv.Itoa(resp.StatusCode)) {
		o.text = fmt.Sprintf("HTTP %d %s", resp.StatusCode, resp.Status)
	}
	if s := strings.TrimSpace(snippet); s != "" {
		o.text += ": " + s
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		o.retryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return o
}

// ParseRetryAfter reads a Retry-After value, delta-seconds or an HTTP-date,
// as a wait from now. It returns 0 for an absent, malformed or past value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
