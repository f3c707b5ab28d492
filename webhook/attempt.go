package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/callrec/callrec"
)

const (
	// maxDrain is how much of a response body is read so that the
	// connection can be reused; the rest is dropped with the connection.
	maxDrain = 64 << 10
	// maxSnippet is how much of a failed response body goes into the
	// attempt's error text.
	maxSnippet = 256
)

// attempt makes one delivery attempt and returns the outcome to record.
// When shutdown cancelled ctx before a response came back it returns false:
// nothing is recorded and the lease brings the delivery back. A response
// that did come back is recorded.
func (w *Worker) attempt(ctx context.Context, d callrec.Delivery) (callrec.Attempt, bool) {
	o := w.send(ctx, d)
	if o.status == 0 && !o.invalid && ctx.Err() != nil {
		return callrec.Attempt{}, false
	}
	a := w.cfg.Policy.decide(d, w.cfg.Now(), o, rand.Float64)
	w.metrics.attempted(d, a, a.At)
	log := w.cfg.Logger.With("delivery", d.ID, "event", d.Event.ID, "target", redactURL(d.Target.URL), "attempt", d.Attempts+1)
	switch a.Status {
	case callrec.DeliveryDelivered:
		log.Debug("webhook delivered", "status", o.status)
	case callrec.DeliveryDead:
		log.Warn("webhook dead-lettered", "status", o.status, "error", a.Error)
	default:
		log.Info("webhook attempt failed", "status", o.status, "error", a.Error, "next", a.Next)
	}
	return a, true
}

// send encodes, signs and posts d, and reads the response.
func (w *Worker) send(ctx context.Context, d callrec.Delivery) outcome {
	msg, err := Encode(d.Event, d.Target, d.Attempts)
	if err != nil {
		return outcome{invalid: true, text: callrec.AsError(err).Message}
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Policy.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Target.URL, bytes.NewReader(msg.Body))
	if err != nil {
		return outcome{invalid: true, text: fmt.Sprintf("target url: %v", err)}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return outcome{invalid: true, text: fmt.Sprintf("target url scheme %q is not http or https", req.URL.Scheme)}
	}
	for k, v := range msg.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", w.cfg.UserAgent)
	if secret := w.cfg.secretFor(d.Target); secret != "" {
		req.Header.Set(SignatureHeader, SignBody(secret, w.cfg.Now(), msg.Body))
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return outcome{text: transportError(ctx, err, w.cfg.Policy.AttemptTimeout.String())}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxDrain))
	return responseOutcome(resp, snippet(body), w.cfg.Now())
}

// transportError describes a failure to get a response, without the
// target's URL (which may carry a secret in its query).
func transportError(ctx context.Context, err error, timeout string) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timeout: no response within " + timeout
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return "connection: " + err.Error()
}

// snippet is the start of a response body as printable, single-line text.
func snippet(body []byte) string {
	s := strings.ToValidUTF8(string(body[:min(len(body), maxSnippet)]), "")
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
}

// redactURL keeps scheme, host and path: queries often carry tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
