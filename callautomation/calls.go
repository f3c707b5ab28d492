package callautomation

import (
	"context"
	"fmt"
	"net/http"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// CallsClient creates, reads and ends calls hosted by callrec. It is a
// callrec extension: ACS has no REST API for this, so the official SDKs
// lack it. Get one from Client.Calls.
type CallsClient struct {
	c *Client
}

const callsPath = "/calls"

// Create creates a call and returns it. serverCallID names it; empty lets
// the server mint one. Creating a call with an id that exists fails with a
// *ResponseError (409, CallAlreadyExists). Without an id a retried request
// can create a second call; give an id where that matters.
func (cc *CallsClient) Create(ctx context.Context, serverCallID string) (*callrec.Call, error) {
	body, err := encodeJSON(struct {
		ServerCallID string `json:"serverCallId,omitempty"`
	}{serverCallID})
	if err != nil {
		return nil, err
	}
	req, err := cc.c.newAPIRequest(http.MethodPost, callsPath, false, body, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var call callrec.Call
	if err := cc.c.doJSON(ctx, req, &call); err != nil {
		return nil, err
	}
	if call.ServerCallID == "" {
		return nil, fmt.Errorf("callautomation: the server's answer has no serverCallId")
	}
	return &call, nil
}

// Get returns a call with its participants and its recordings.
func (cc *CallsClient) Get(ctx context.Context, serverCallID string) (*CallDetails, error) {
	path, err := callPath(serverCallID)
	if err != nil {
		return nil, err
	}
	req, err := cc.c.newAPIRequest(http.MethodGet, path, false, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var call CallDetails
	if err := cc.c.doJSON(ctx, req, &call); err != nil {
		return nil, err
	}
	return &call, nil
}

// End ends a call; its recordings stop.
func (cc *CallsClient) End(ctx context.Context, serverCallID string) error {
	path, err := callPath(serverCallID)
	if err != nil {
		return err
	}
	req, err := cc.c.newAPIRequest(http.MethodDelete, path, false, nil, http.StatusNoContent)
	if err != nil {
		return err
	}
	return cc.c.doNoContent(ctx, req)
}

// callPath escapes a serverCallId, standard base64, like a recording id.
func callPath(serverCallID string) (string, error) {
	if serverCallID == "" {
		return "", fmt.Errorf("callautomation: the serverCallId is empty")
	}
	return callsPath + "/" + acswire.EscapeComponent(serverCallID), nil
}
