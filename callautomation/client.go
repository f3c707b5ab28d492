package callautomation

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/callrec/callrec/hmacauth"
)

// DefaultAPIVersion is the api-version sent when ClientOptions names none.
const DefaultAPIVersion = "2025-06-15"

// sdkVersion goes into the User-Agent header.
const sdkVersion = "0.1.0"

// ClientOptions tunes a Client. The zero value is ready to use.
type ClientOptions struct {
	// HTTPClient sends the requests; nil means a client that does not
	// follow redirects, waits at most 5 minutes for response headers (a
	// stop finalizes files before it answers) and has no limit on
	// streaming a body.
	// Content downloads use it too, so an http.Client.Timeout also bounds
	// how long a download may take.
	HTTPClient *http.Client
	// APIVersion is the api-version query parameter; empty means
	// DefaultAPIVersion.
	APIVersion string
	// UserAgent is put in front of the SDK's own User-Agent, like the
	// official SDKs' application id.
	UserAgent string
	// Retry tunes retries of transient failures.
	Retry RetryOptions
	// ContentHosts lists hosts (host[:port]) besides the endpoint's own that
	// content URLs may point at. Content requests carry a signature made
	// with the access key, so the SDK refuses to send them to any other
	// host, as the official SDKs do.
	ContentHosts []string
	// Logger receives debug records about retries; nil means slog.Default().
	Logger *slog.Logger
}

// RetryOptions tunes how transient failures are retried: HTTP 408, 429 and
// 5xx other than 501 and 505, and network errors.
type RetryOptions struct {
	// MaxRetries is how many times a request is retried; 0 means 3,
	// negative means never.
	MaxRetries int
	// RetryDelay is the first backoff; it doubles on each retry, with
	// jitter. 0 means 800 ms.
	RetryDelay time.Duration
	// MaxRetryDelay caps a backoff, Retry-After included; 0 means 60 s.
	MaxRetryDelay time.Duration
}

func (r RetryOptions) withDefaults() RetryOptions {
	switch {
	case r.MaxRetries == 0:
		r.MaxRetries = 3
	case r.MaxRetries < 0:
		r.MaxRetries = 0
	}
	if r.RetryDelay <= 0 {
		r.RetryDelay = 800 * time.Millisecond
	}
	if r.MaxRetryDelay <= 0 {
		r.MaxRetryDelay = 60 * time.Second
	}
	return r
}

// Client talks to one callrec (or ACS) endpoint with one access key. It is
// safe for concurrent use.
type Client struct {
	endpoint     *url.URL
	key          []byte
	httpClient   *http.Client
	apiVersion   string
	userAgent    string
	retry        RetryOptions
	contentHosts map[string]bool
	log          *slog.Logger
}

// NewCallAutomationClient makes a client from a connection string,
// "endpoint=https://host[:port]/;accesskey=<base64 key>". opts may be nil.
func NewCallAutomationClient(connectionString string, opts *ClientOptions) (*Client, error) {
	cs, err := hmacauth.ParseConnectionString(connectionString)
	if err != nil {
		return nil, fmt.Errorf("callautomation: %w", err)
	}
	if opts == nil {
		opts = &ClientOptions{}
	}
	c := &Client{
		endpoint:     cs.Endpoint,
		key:          cs.Key,
		httpClient:   opts.HTTPClient,
		apiVersion:   opts.APIVersion,
		retry:        opts.Retry.withDefaults(),
		contentHosts: map[string]bool{strings.ToLower(cs.Endpoint.Host): true},
		log:          opts.Logger,
	}
	if c.httpClient == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.ResponseHeaderTimeout = 5 * time.Minute
		c.httpClient = &http.Client{
			Transport: transport,
			// A signature covers one path, so a redirect could only fail
			// or carry signed headers elsewhere; report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.apiVersion == "" {
		c.apiVersion = DefaultAPIVersion
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.userAgent = fmt.Sprintf("callrec-callautomation-go/%s (%s; %s)", sdkVersion, runtime.Version(), runtime.GOOS)
	if opts.UserAgent != "" {
		c.userAgent = opts.UserAgent + " " + c.userAgent
	}
	for _, h := range opts.ContentHosts {
		c.contentHosts[strings.ToLower(h)] = true
	}
	return c, nil
}

// Endpoint returns the endpoint URL from the connection string.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// CallRecording returns the recording operations.
func (c *Client) CallRecording() *CallRecording { return &CallRecording{c: c} }

// Calls returns the call operations, a callrec extension.
func (c *Client) Calls() *CallsClient { return &CallsClient{c: c} }

// apiURL builds the URL of an API route from its escaped path, and the
// path-and-query that is signed: exactly the request line's target.
func (c *Client) apiURL(escapedPath string, withAPIVersion bool) (*url.URL, string, error) {
	target := escapedPath
	if withAPIVersion {
		target += "?api-version=" + url.QueryEscape(c.apiVersion)
	}
	u, err := url.Parse(c.endpoint.String() + target)
	if err != nil {
		return nil, "", fmt.Errorf("callautomation: building request URL: %w", err)
	}
	if got := u.RequestURI(); got != target {
		return nil, "", fmt.Errorf("callautomation: request target %q would be sent as %q", target, got)
	}
	return u, target, nil
}
