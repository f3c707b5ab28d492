package callautomation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/callrec/callrec/hmacauth"
)

// request is one signed operation. It is signed once; every retry sends the
// same bytes, date and signature included, as the official SDKs do.
type request struct {
	method   string
	url      *url.URL // where the request goes
	signHost string   // host covered by the signature
	signPath string   // path (and query) covered by the signature
	body     []byte
	header   http.Header
	ok       []int // statuses that mean success
}

// newAPIRequest prepares a request to an API route of the endpoint.
func (c *Client) newAPIRequest(method, escapedPath string, withAPIVersion bool, body []byte, ok ...int) (*request, error) {
	u, target, err := c.apiURL(escapedPath, withAPIVersion)
	if err != nil {
		return nil, err
	}
	r := &request{method: method, url: u, signHost: u.Host, signPath: target, body: body, header: http.Header{}, ok: ok}
	r.header.Set("Accept", "application/json")
	if body != nil {
		r.header.Set("Content-Type", "application/json")
	}
	return r, nil
}

// encodeJSON marshals v as the JS SDK does: no HTML escaping, no newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("callautomation: encoding request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// do sends r, retrying transient failures. On a success status it returns
// the open response; the caller closes its body. Any other status becomes a
// *ResponseError.
func (c *Client) do(ctx context.Context, r *request) (*http.Response, error) {
	header := r.header.Clone()
	header.Set("User-Agent", c.userAgent)
	header.Set("x-ms-client-request-id", uuid.NewString())
	signed, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("callautomation: %w", err)
	}
	signed.Header = header
	hmacauth.Sign(signed, c.key, r.signHost, r.signPath, r.body, time.Now())

	for attempt := 0; ; attempt++ {
		req := signed.Clone(ctx)
		if r.body != nil {
			req.Body = io.NopCloser(bytes.NewReader(r.body))
			req.ContentLength = int64(len(r.body))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(r.body)), nil }
		}
		resp, err := c.httpClient.Do(req)
		last := attempt >= c.retry.MaxRetries
		if err != nil {
			if ctx.Err() != nil || last {
				return nil, fmt.Errorf("callautomation: %s %s: %w", r.method, r.url.Redacted(), err)
			}
			c.log.DebugContext(ctx, "callautomation: retrying after network error",
				"method", r.method, "url", r.url.Redacted(), "attempt", attempt+1, "err", err)
			if err := c.sleep(ctx, c.backoff(attempt, nil)); err != nil {
				return nil, err
			}
			continue
		}
		if slices.Contains(r.ok, resp.StatusCode) {
			return resp, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if last || !retryableStatus(resp.StatusCode) {
			return nil, newResponseError(resp.StatusCode, body)
		}
		c.log.DebugContext(ctx, "callautomation: retrying after transient status",
			"method", r.method, "url", r.url.Redacted(), "status", resp.StatusCode, "attempt", attempt+1)
		if err := c.sleep(ctx, c.backoff(attempt, resp)); err != nil {
			return nil, err
		}
	}
}

// doJSON sends r and decodes a successful JSON answer into out.
func (c *Client) doJSON(ctx context.Context, r *request, out any) error {
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody))
	if err != nil {
		return fmt.Errorf("callautomation: reading %s %s: %w", r.method, r.url.Redacted(), err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("callautomation: %s %s answered HTTP %d with a body that is not the expected JSON: %w",
			r.method, r.url.Redacted(), resp.StatusCode, err)
	}
	return nil
}

// doNoContent sends r and discards the successful answer's body.
func (c *Client) doNoContent(ctx context.Context, r *request) error {
	return c.doJSON(ctx, r, nil)
}

// maxJSONBody bounds a JSON answer.
const maxJSONBody = 8 << 20

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("callautomation: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
