package callautomation

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// retryableStatus reports whether a status is worth retrying, as the
// official SDKs decide: 408, 429 and 5xx except 501 (not implemented) and
// 505 (HTTP version not supported).
func retryableStatus(status int) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status == http.StatusNotImplemented, status == http.StatusHTTPVersionNotSupported:
		return false
	}
	return status >= 500 && status <= 599
}

// backoff is the wait before retry attempt+1: Retry-After when the server
// sent one, otherwise exponential from RetryDelay with ±20% jitter; never
// more than MaxRetryDelay.
func (c *Client) backoff(attempt int, resp *http.Response) time.Duration {
	if d, ok := retryAfter(resp); ok {
		return min(d, c.retry.MaxRetryDelay)
	}
	d := c.retry.RetryDelay << min(attempt, 20)
	if d <= 0 || d > c.retry.MaxRetryDelay {
		d = c.retry.MaxRetryDelay
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return min(time.Duration(float64(d)*jitter), c.retry.MaxRetryDelay)
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
