package callautomation

import (
	"fmt"
	"time"

	"github.com/callrec/callrec/internal/acswire"
)

// RecordingStateResult is the state of a recording, as start and GetState
// return it.
type RecordingStateResult struct {
	RecordingID    string         `json:"recordingId"`
	RecordingState RecordingState `json:"recordingState"`
	RecordingKind  RecordingKind  `json:"recordingKind"`
}

// RecordingResult describes a recording's files; its JSON form is the wire
// form of GET /calling/recordings/{id}/result.
type RecordingResult struct {
	RecordingID          string               `json:"recordingId"`
	RecordingStorageInfo RecordingStorageInfo `json:"recordingStorageInfo"`
	Errors               []ErrorDetail        `json:"errors,omitempty"`
	RecordingStartTime   *time.Time           `json:"recordingStartTime,omitempty"`
	// RecordingDurationMs is the recorded duration in milliseconds.
	RecordingDurationMs *int64 `json:"recordingDurationMs,omitempty"`
	// SessionEndReason is "sessionStillOngoing" while the recording runs.
	SessionEndReason        string     `json:"sessionEndReason,omitempty"`
	RecordingExpirationTime *time.Time `json:"recordingExpirationTime,omitempty"`
}

// RecordingStorageInfo lists a recording's chunks.
type RecordingStorageInfo struct {
	RecordingChunks []RecordingChunk `json:"recordingChunks"`
}

// RecordingChunk is one file of a recording; long recordings are split
// into chunks. Pass ContentLocation or MetadataLocation to the Download
// methods and DeleteLocation to Delete.
type RecordingChunk struct {
	DocumentID       string `json:"documentId"`
	Index            int    `json:"index"`
	EndReason        string `json:"endReason"`
	ContentLocation  string `json:"contentLocation"`
	MetadataLocation string `json:"metadataLocation"`
	DeleteLocation   string `json:"deleteLocation"`
	// Deleted is a callrec extension: true once the chunk's files were
	// deleted (through DeleteLocation or by the server's retention).
	Deleted bool `json:"deleted,omitempty"`
}

// ErrorDetail is one error reported inside a successful result, such as a
// failed export to external storage.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func stateResultFromWire(w *acswire.RecordingStateResponse) (*RecordingStateResult, error) {
	if w.RecordingID == "" {
		return nil, fmt.Errorf("callautomation: the server's answer has no recordingId")
	}
	return &RecordingStateResult{
		RecordingID:    w.RecordingID,
		RecordingState: RecordingState(w.RecordingState),
		RecordingKind:  RecordingKind(w.RecordingKind),
	}, nil
}

func recordingResultFromWire(w *acswire.RecordingResultResponse) *RecordingResult {
	r := &RecordingResult{
		RecordingID:             w.RecordingID,
		RecordingStartTime:      w.RecordingStartTime,
		RecordingDurationMs:     w.RecordingDurationMs,
		SessionEndReason:        w.SessionEndReason,
		RecordingExpirationTime: w.RecordingExpirationTime,
		RecordingStorageInfo:    RecordingStorageInfo{RecordingChunks: []RecordingChunk{}},
	}
	for _, c := range w.RecordingStorageInfo.RecordingChunks {
		r.RecordingStorageInfo.RecordingChunks = append(r.RecordingStorageInfo.RecordingChunks, RecordingChunk(c))
	}
	for _, e := range w.Errors {
		r.Errors = append(r.Errors, ErrorDetail{Code: e.Code, Message: e.Message, Target: e.Target})
	}
	return r
}
