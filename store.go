package callrec

import (
	"context"
	"time"
)

// Store persists calls, participants, recordings and the outbox. Methods that
// change state take the events that the change causes and commit both in one
// transaction, so that no event is lost and none is sent for a change that
// did not happen.
type Store interface {
	CreateCall(ctx context.Context, c *Call) error
	// Call returns the call with its participants, or a CallNotFound error.
	Call(ctx context.Context, id string) (*Call, error)
	// EndCall marks the call ended at t.
	EndCall(ctx context.Context, id string, t time.Time, events ...Outgoing) error
	// JoinParticipant records a join; a rejoin keeps the first JoinedAt and
	// clears LeftAt.
	JoinParticipant(ctx context.Context, callID, rawID string, t time.Time, events ...Outgoing) error
	// LeaveParticipant records a leave at t.
	LeaveParticipant(ctx context.Context, callID, rawID string, t time.Time, events ...Outgoing) error

	// CreateRecording stores a new recording. If r.RepeatabilityID is set
	// and already used, it stores nothing and returns the existing recording
	// with created=false.
	CreateRecording(ctx context.Context, r *Recording, events ...Outgoing) (existing *Recording, created bool, err error)
	// Recording returns a recording, stopped or not, or RecordingNotFound.
	Recording(ctx context.Context, id string) (*Recording, error)
	// UpdateRecording saves r (state, pauses, chunks, stop).
	UpdateRecording(ctx context.Context, r *Recording, events ...Outgoing) error
	// RecordingsOfCall returns the recordings of a call that are not stopped.
	RecordingsOfCall(ctx context.Context, callID string) ([]*Recording, error)

	// ListCalls returns a page of calls with their participants, oldest
	// first; a cursor it did not issue is an InvalidContinuationToken error.
	ListCalls(ctx context.Context, q CallQuery) (*CallPage, error)
	// ListRecordings returns a page of recordings, stopped or not, oldest
	// first.
	ListRecordings(ctx context.Context, q RecordingQuery) (*RecordingPage, error)

	Outbox
	Close() error
}
