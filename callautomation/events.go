package callautomation

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// EventsClient manages callrec's event subscriptions, reads and replays
// dead letters, and follows the event stream. It is a callrec extension
// (ACS manages subscriptions through Azure Resource Manager). Get one from
// Client.Events.
type EventsClient struct {
	c *Client
}

// Events returns the client of callrec's event routes.
func (c *Client) Events() *EventsClient { return &EventsClient{c: c} }

const (
	subscriptionsPath = "/eventSubscriptions"
	deadLettersPath   = "/events/deadLetters"
	eventStreamPath   = "/events/stream"
)

// Subscribe creates or replaces the subscription s.Name and returns it as
// stored, validation outcome included: State is validated, or
// awaitingValidation/failed with a Reason. Only a validated subscription
// receives events.
func (ec *EventsClient) Subscribe(ctx context.Context, s callrec.Subscription) (*callrec.Subscription, error) {
	path, err := subscriptionPath(s.Name)
	if err != nil {
		return nil, err
	}
	body, err := encodeJSON(s)
	if err != nil {
		return nil, err
	}
	req, err := ec.c.newAPIRequest(http.MethodPut, path, false, body, http.StatusOK, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var out callrec.Subscription
	if err := ec.c.doJSON(ctx, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Subscription returns one subscription (without its secret).
func (ec *EventsClient) Subscription(ctx context.Context, name string) (*callrec.Subscription, error) {
	path, err := subscriptionPath(name)
	if err != nil {
		return nil, err
	}
	req, err := ec.c.newAPIRequest(http.MethodGet, path, false, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out callrec.Subscription
	if err := ec.c.doJSON(ctx, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Subscriptions lists every subscription (without secrets).
func (ec *EventsClient) Subscriptions(ctx context.Context) ([]*callrec.Subscription, error) {
	req, err := ec.c.newAPIRequest(http.MethodGet, subscriptionsPath, false, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out struct {
		Value []*callrec.Subscription `json:"value"`
	}
	if err := ec.c.doJSON(ctx, req, &out); err != nil {
		return nil, err
	}
	return out.Value, nil
}

// Unsubscribe deletes a subscription. Deliveries already queued for it are
// still attempted.
func (ec *EventsClient) Unsubscribe(ctx context.Context, name string) error {
	path, err := subscriptionPath(name)
	if err != nil {
		return err
	}
	req, err := ec.c.newAPIRequest(http.MethodDelete, path, false, nil, http.StatusNoContent)
	if err != nil {
		return err
	}
	return ec.c.doNoContent(ctx, req)
}

// DeadLetters lists up to limit dead deliveries, newest first (limit 0: the
// server's default, 100).
func (ec *EventsClient) DeadLetters(ctx context.Context, limit int) ([]callrec.Delivery, error) {
	path := deadLettersPath
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}
	req, err := ec.c.newAPIRequest(http.MethodGet, path, false, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out struct {
		Value []callrec.Delivery `json:"value"`
	}
	if err := ec.c.doJSON(ctx, req, &out); err != nil {
		return nil, err
	}
	return out.Value, nil
}

// Replay puts dead delivery id back in the outbox, with a fresh attempt
// budget; the event and its id are unchanged.
func (ec *EventsClient) Replay(ctx context.Context, id int64) error {
	path := deadLettersPath + "/" + strconv.FormatInt(id, 10) + ":replay"
	req, err := ec.c.newAPIRequest(http.MethodPost, path, false, nil, http.StatusAccepted)
	if err != nil {
		return err
	}
	return ec.c.doNoContent(ctx, req)
}

// StreamedEvent is one event from the stream, with its feed position.
type StreamedEvent struct {
	Position int64
	Event    callrec.Event
}

// Tail follows the event stream (server-sent events) and calls fn for each
// event stored after position after (-1: from now on), until ctx ends, fn
// returns an error, or the server closes the stream. It returns nil when ctx
// ends.
func (ec *EventsClient) Tail(ctx context.Context, after int64, fn func(StreamedEvent) error) error {
	return ec.tail(ctx, after, fn, func(int64) {})
}

// tail is Tail that also reports the position the stream starts after (the
// server's opening comment), through opened.
func (ec *EventsClient) tail(ctx context.Context, after int64, fn func(StreamedEvent) error, opened func(int64)) error {
	path := eventStreamPath
	if after >= 0 {
		path += "?after=" + strconv.FormatInt(after, 10)
	}
	req, err := ec.c.newAPIRequest(http.MethodGet, path, false, nil, http.StatusOK)
	if err != nil {
		return err
	}
	req.header.Set("Accept", "text/event-stream")
	resp, err := ec.c.do(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	err = readServerSentEvents(bufio.NewScanner(resp.Body), fn, opened)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Reconnection delays of Follow.
const (
	followFirstWait = time.Second
	followMaxWait   = 30 * time.Second
)

// Follow is Tail that survives disconnections: when the stream ends or
// fails (the server restarts, the network drops), it calls onReconnect
// with the reason and the wait, waits (1 s, doubling up to 30 s; back to
// 1 s after a stream that delivered events), and resumes after the last
// event it passed to fn, or, if none came yet, after the position the
// first stream started at, so that nothing stored meanwhile is missed. It
// returns nil when ctx ends, fn's error, or the error of a request the
// server refused (a 4xx, such as a bad signature), which retrying would not
// fix.
func (ec *EventsClient) Follow(ctx context.Context, after int64, fn func(StreamedEvent) error, onReconnect func(err error, wait time.Duration)) error {
	wait := followFirstWait
	for {
		delivered := false
		var fnErr error
		err := ec.tail(ctx, after, func(e StreamedEvent) error {
			if fnErr = fn(e); fnErr != nil {
				return fnErr
			}
			after, delivered = e.Position, true
			return nil
		}, func(start int64) {
			if after < 0 {
				after = start
			}
		})
		switch {
		case ctx.Err() != nil:
			return nil
		case fnErr != nil:
			return fnErr
		}
		var re *ResponseError
		if errors.As(err, &re) && re.StatusCode >= 400 && re.StatusCode < 500 {
			return err
		}
		if err == nil {
			err = errors.New("the server closed the event stream")
		}
		if delivered {
			wait = followFirstWait
		}
		onReconnect(err, wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, followMaxWait)
	}
}

// streamOpening is the comment a stream starts with; its number is the
// position the stream starts after.
const streamOpening = ": callrec events after "

// readServerSentEvents parses "id:" and "data:" fields, one message per
// blank line; it reports the stream's opening position to opened, and
// skips other comments and fields.
func readServerSentEvents(sc *bufio.Scanner, fn func(StreamedEvent) error, opened func(int64)) error {
	sc.Buffer(make([]byte, 64<<10), maxJSONBody)
	var cur StreamedEvent
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, streamOpening):
			if p, err := strconv.ParseInt(strings.TrimSpace(line[len(streamOpening):]), 10, 64); err == nil {
				opened(p)
			}
		case line == "":
			if data.Len() == 0 {
				continue
			}
			if err := json.Unmarshal([]byte(data.String()), &cur.Event); err != nil {
				return fmt.Errorf("callautomation: event stream message is not an event: %w", err)
			}
			if err := fn(cur); err != nil {
				return err
			}
			cur, data = StreamedEvent{}, strings.Builder{}
		case strings.HasPrefix(line, "id:"):
			cur.Position, _ = strconv.ParseInt(strings.TrimSpace(line[3:]), 10, 64)
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(line[5:], " "))
		}
	}
	return sc.Err()
}

func subscriptionPath(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("callautomation: the subscription name is empty")
	}
	return subscriptionsPath + "/" + acswire.EscapeComponent(name), nil
}
