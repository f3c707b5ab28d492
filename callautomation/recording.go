package callautomation

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/callrec/callrec/internal/acswire"
)

// CallRecording starts, pauses, resumes and stops recordings, reads their
// state and results, and downloads and deletes their files. Get one from
// Client.CallRecording.
type CallRecording struct {
	c *Client
}

const recordingsPath = "/calling/recordings"

// recordingPath is the escaped path of a recording, plus suffix (":pause",
// "/result"…).
func recordingPath(recordingID, suffix string) (string, error) {
	if recordingID == "" {
		return "", fmt.Errorf("callautomation: the recording id is empty")
	}
	return recordingsPath + "/" + acswire.EscapeComponent(recordingID) + suffix, nil
}

// Start starts recording a call. The server answers with the new
// recording's id and state (inactive when PauseOnStart was set). A start
// repeated with the same RepeatabilityRequestID returns the same recording.
func (r *CallRecording) Start(ctx context.Context, opts StartRecordingOptions) (*RecordingStateResult, error) {
	wire, err := opts.requestBody()
	if err != nil {
		return nil, err
	}
	body, err := encodeJSON(wire)
	if err != nil {
		return nil, err
	}
	req, err := r.c.newAPIRequest(http.MethodPost, recordingsPath, true, body, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return nil, err
	}
	id := opts.RepeatabilityRequestID
	if id == "" {
		id = uuid.NewString()
	}
	firstSent := opts.RepeatabilityFirstSent
	if firstSent.IsZero() {
		firstSent = time.Now()
	}
	req.header.Set("Repeatability-Request-ID", id)
	req.header.Set("Repeatability-First-Sent", firstSent.UTC().Format(http.TimeFormat))
	var out acswire.RecordingStateResponse
	if err := r.c.doJSON(ctx, req, &out); err != nil {
		return nil, err
	}
	return stateResultFromWire(&out)
}

// GetState returns a recording's state. A stopped recording is not found:
// the error is a *ResponseError with StatusCode 404.
func (r *CallRecording) GetState(ctx context.Context, recordingID string) (*RecordingStateResult, error) {
	path, err := recordingPath(recordingID, "")
	if err != nil {
		return nil, err
	}
	req, err := r.c.newAPIRequest(http.MethodGet, path, true, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out acswire.RecordingStateResponse
	if err := r.c.doJSON(ctx, req, &out); err != nil {
		return nil, err
	}
	return stateResultFromWire(&out)
}

// Pause pauses a recording; its state becomes inactive.
func (r *CallRecording) Pause(ctx context.Context, recordingID string) error {
	return r.action(ctx, recordingID, ":pause")
}

// Resume resumes a paused recording; its state becomes active.
func (r *CallRecording) Resume(ctx context.Context, recordingID string) error {
	return r.action(ctx, recordingID, ":resume")
}

func (r *CallRecording) action(ctx context.Context, recordingID, verb string) error {
	path, err := recordingPath(recordingID, verb)
	if err != nil {
		return err
	}
	req, err := r.c.newAPIRequest(http.MethodPost, path, true, nil, http.StatusAccepted)
	if err != nil {
		return err
	}
	return r.c.doNoContent(ctx, req)
}

// Stop stops a recording. Its files are finalized; Result lists them.
func (r *CallRecording) Stop(ctx context.Context, recordingID string) error {
	path, err := recordingPath(recordingID, "")
	if err != nil {
		return err
	}
	req, err := r.c.newAPIRequest(http.MethodDelete, path, true, nil, http.StatusNoContent)
	if err != nil {
		return err
	}
	return r.c.doNoContent(ctx, req)
}

// Result returns a recording's files (chunks) and outcome, stopped or not
// (ACS's preview GetRecordingResult).
func (r *CallRecording) Result(ctx context.Context, recordingID string) (*RecordingResult, error) {
	path, err := recordingPath(recordingID, "/result")
	if err != nil {
		return nil, err
	}
	req, err := r.c.newAPIRequest(http.MethodGet, path, true, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out acswire.RecordingResultResponse
	if err := r.c.doJSON(ctx, req, &out); err != nil {
		return nil, err
	}
	return recordingResultFromWire(&out), nil
}
