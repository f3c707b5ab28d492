package acswire

import (
	"time"

	"github.com/callrec/callrec"
)

// The list routes are callrec extensions; their pages have the shape of
// ACS's paged lists: {"value": [...], "nextLink": "<absolute URL>"}, where
// nextLink carries an opaque continuation token and is absent on the last
// page.

// Page is one page of a list.
type Page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

// RecordingSummary is one recording in GET /calling/recordings and in
// GET /calls/{id}. RecordingState is active, inactive or stopped.
type RecordingSummary struct {
	RecordingID          string     `json:"recordingId"`
	ServerCallID         string     `json:"serverCallId"`
	RecordingState       string     `json:"recordingState"`
	RecordingKind        string     `json:"recordingKind"`
	StartTime            time.Time  `json:"startTime"`
	StopTime             *time.Time `json:"stopTime,omitempty"`
	SessionEndReason     string     `json:"sessionEndReason"`
	RecordingContentType string     `json:"recordingContentType"`
	RecordingChannelType string     `json:"recordingChannelType"`
	RecordingFormatType  string     `json:"recordingFormatType"`
	// ChunkCount is how many files the recording has; they are listed by
	// GET /calling/recordings/{id}/result once the recording stopped.
	ChunkCount int `json:"chunkCount"`
	// RecordingDurationMs is the recorded duration, once stopped.
	RecordingDurationMs *int64 `json:"recordingDurationMs,omitempty"`
}

// CallDetails answers GET /calls/{id}: the call with its recordings.
type CallDetails struct {
	callrec.Call
	Recordings []RecordingSummary `json:"recordings"`
}

// RecordingKindACS is the recordingKind of every callrec recording.
const RecordingKindACS = "azureCommunicationServices"

// Summary describes r as the list routes do.
func Summary(r *callrec.Recording) RecordingSummary {
	s := RecordingSummary{
		RecordingID:          r.ID,
		ServerCallID:         r.Spec.ServerCallID,
		RecordingState:       string(r.ListedState()),
		RecordingKind:        RecordingKindACS,
		StartTime:            r.StartedAt,
		StopTime:             r.StoppedAt,
		SessionEndReason:     callrec.EndReasonStillOngoing,
		RecordingContentType: string(r.Spec.Content),
		RecordingChannelType: string(r.Spec.Channel),
		RecordingFormatType:  string(r.Spec.Format),
		ChunkCount:           len(r.Chunks),
	}
	if r.Stopped {
		s.SessionEndReason = r.EndReason
		d := RecordedMs(r)
		s.RecordingDurationMs = &d
	}
	return s
}

// RecordedMs is the recorded duration of r: the sum of its chunks.
func RecordedMs(r *callrec.Recording) int64 {
	var d int64
	for _, c := range r.Chunks {
		d += c.DurationMs
	}
	return d
}
