package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrCallEnded is returned by Join when the server hung the participant up
// because the call ended (DELETE /calls/{id}, an idle timeout); the
// Result says what was sent until then.
var ErrCallEnded = errors.New("the call ended")

// Disconnected is returned by Join when the server ended the session for
// another reason than the end of the call (Reason as GET /whip/{session}
// reports it, for example ReplacedByRejoin or ServerShuttingDown).
type Disconnected struct{ Reason string }

func (e *Disconnected) Error() string {
	if e.Reason == "" {
		return "the server ended the session"
	}
	return "the server ended the session: " + e.Reason
}

// watchSession follows the WHIP session at location with GET long polls
// (callrec's extension of WHIP) until the server says it ended, and then
// delivers the error that ends Join (ErrCallEnded or *Disconnected); it
// returns when ctx is done.
func watchSession(ctx context.Context, client *http.Client, location, token string) <-chan error {
	ended := make(chan error, 1)
	// The long poll outlasts the client's own timeout; each request is
	// bounded by its context instead.
	poll := &http.Client{Transport: client.Transport}
	go func() {
		for ctx.Err() == nil {
			state, status, err := getSession(ctx, poll, location, token)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				// The server is unreachable for now: try again shortly.
				select {
				case <-time.After(500 * time.Millisecond):
				case <-ctx.Done():
				}
			case status == http.StatusNotFound:
				ended <- &Disconnected{}
				return
			case state.State == "ended" && state.Reason == "CallEnded":
				ended <- ErrCallEnded
				return
			case state.State == "ended":
				ended <- &Disconnected{Reason: state.Reason}
				return
			}
		}
	}()
	return ended
}

type sessionState struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func getSession(ctx context.Context, client *http.Client, location, token string) (sessionState, int, error) {
	var st sessionState
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return st, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return st, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return st, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return st, resp.StatusCode, nil
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, resp.StatusCode, fmt.Errorf("GET %s: %w", location, err)
	}
	return st, resp.StatusCode, nil
}
