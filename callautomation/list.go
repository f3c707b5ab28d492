package callautomation

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// Listing calls and recordings is a callrec extension (ACS has no such
// routes). Lists come in pages, as ACS's paged lists do; a Pager fetches
// them one at a time, following the server's nextLink, and All walks every
// item of every page.

// Pager reads a list page by page. Get one from CallsClient.List or
// CallRecording.List; it is not safe for concurrent use.
type Pager[T any] struct {
	c    *Client
	next *request // nil once the last page was read
	err  error    // why the first request could not be made
}

// More reports whether another page may follow: true until a page comes
// back without a nextLink.
func (p *Pager[T]) More() bool { return p.next != nil || p.err != nil }

// NextPage fetches the next page. After the last page it returns nil.
func (p *Pager[T]) NextPage(ctx context.Context) ([]T, error) {
	if err := p.err; err != nil {
		p.err = nil
		return nil, err
	}
	if p.next == nil {
		return nil, nil
	}
	var page acswire.Page[T]
	if err := p.c.doJSON(ctx, p.next, &page); err != nil {
		return nil, err
	}
	p.next = nil
	if page.NextLink != "" {
		// A bad link is reported by the next call, after this page.
		p.next, p.err = p.c.newLinkRequest(page.NextLink)
	}
	return page.Value, nil
}

// All yields every item of every page not yet read; it stops at the first
// error, which it yields with a zero item.
func (p *Pager[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for p.More() {
			items, err := p.NextPage(ctx)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

// ListCallsOptions filters a list of calls.
type ListCallsOptions struct {
	// State is "active" or "ended"; empty lists every call.
	State callrec.CallState
	// MaxPageSize bounds a page (server default 100, at most 1000).
	MaxPageSize int
}

// List lists calls, oldest first, each with its participants.
func (cc *CallsClient) List(opts ListCallsOptions) *Pager[*callrec.Call] {
	q := url.Values{}
	if opts.State != "" {
		q.Set("state", string(opts.State))
	}
	return newPager[*callrec.Call](cc.c, callsPath, q, opts.MaxPageSize, false)
}

// ListRecordingsOptions filters a list of recordings.
type ListRecordingsOptions struct {
	// ServerCallID lists the recordings of one call; empty lists all.
	ServerCallID string
	// State is active, inactive or stopped (RecordingStateStopped); empty
	// lists every recording.
	State RecordingState
	// MaxPageSize bounds a page (server default 100, at most 1000).
	MaxPageSize int
}

// RecordingStateStopped is the state lists give a stopped recording, a
// callrec extension: GetState answers 404 for it, as ACS does.
const RecordingStateStopped RecordingState = "stopped"

// RecordingSummary is a recording as lists show it.
type RecordingSummary struct {
	RecordingID string `json:"recordingId"`
	// ServerCallID is the call the recording belongs to.
	ServerCallID string `json:"serverCallId"`
	// RecordingState is active, inactive or stopped.
	RecordingState RecordingState `json:"recordingState"`
	RecordingKind  RecordingKind  `json:"recordingKind"`
	StartTime      time.Time      `json:"startTime"`
	StopTime       *time.Time     `json:"stopTime,omitempty"`
	// SessionEndReason is "sessionStillOngoing" until the recording stops.
	SessionEndReason     string           `json:"sessionEndReason"`
	RecordingContentType RecordingContent `json:"recordingContentType"`
	RecordingChannelType RecordingChannel `json:"recordingChannelType"`
	RecordingFormatType  RecordingFormat  `json:"recordingFormatType"`
	// ChunkCount is how many files the recording has; Result lists them.
	ChunkCount          int    `json:"chunkCount"`
	RecordingDurationMs *int64 `json:"recordingDurationMs,omitempty"`
}

// List lists recordings, stopped or not, oldest first.
func (r *CallRecording) List(opts ListRecordingsOptions) *Pager[RecordingSummary] {
	q := url.Values{}
	if opts.ServerCallID != "" {
		q.Set("serverCallId", opts.ServerCallID)
	}
	if opts.State != "" {
		q.Set("state", string(opts.State))
	}
	return newPager[RecordingSummary](r.c, recordingsPath, q, opts.MaxPageSize, true)
}

// CallDetails is a call with its participants and its recordings, as
// CallsClient.Get returns it.
type CallDetails struct {
	callrec.Call
	// Recordings lists every recording of the call, stopped ones too.
	Recordings []RecordingSummary `json:"recordings"`
}

// newPager makes a pager whose first page is GET path?q.
func newPager[T any](c *Client, path string, q url.Values, maxPageSize int, withAPIVersion bool) *Pager[T] {
	if maxPageSize > 0 {
		q.Set("maxPageSize", strconv.Itoa(maxPageSize))
	}
	if withAPIVersion {
		q.Set("api-version", c.apiVersion)
	}
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := c.newAPIRequest(http.MethodGet, target, false, nil, http.StatusOK)
	return &Pager[T]{c: c, next: req, err: err}
}

// newLinkRequest prepares GET of a nextLink. The link must point at the
// endpoint (same scheme and host): the request is signed with the access
// key, so it goes nowhere else.
func (c *Client) newLinkRequest(link string) (*request, error) {
	u, err := c.endpoint.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("callautomation: nextLink %q: %w", link, err)
	}
	if u.Scheme != c.endpoint.Scheme || !strings.EqualFold(u.Host, c.endpoint.Host) {
		return nil, fmt.Errorf("callautomation: nextLink %q is not on the endpoint %s; refusing to send it a signed request",
			link, c.endpoint.Redacted())
	}
	return c.newAPIRequest(http.MethodGet, u.RequestURI(), false, nil, http.StatusOK)
}
