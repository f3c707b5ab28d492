package callrec

import (
	"context"
	"time"
)

// CallState is the lifecycle state of a call hosted by callrec.
type CallState string

// Call states.
const (
	CallActive CallState = "active"
	CallEnded  CallState = "ended"
)

// Call is a live call that participants join and recordings capture.
// ServerCallID is an opaque standard-base64 string, like ACS's.
type Call struct {
	ServerCallID string     `json:"serverCallId"`
	State        CallState  `json:"state"`
	CreatedAt    time.Time  `json:"createdAt"`
	EndedAt      *time.Time `json:"endedAt,omitempty"`
	// Node is the id of the node that hosts the call's media (several
	// nodes sharing one database); empty on a single node.
	Node         string        `json:"node,omitempty"`
	Participants []Participant `json:"participants"`
}

// Participant is one identity in a call. Leaving and rejoining keeps the same
// Participant: JoinedAt is the first join, LeftAt the latest leave (nil while
// present).
type Participant struct {
	RawID    string     `json:"rawId"`
	JoinedAt time.Time  `json:"joinedAt"`
	LeftAt   *time.Time `json:"leftAt,omitempty"`
}

// CallService creates, reads and ends calls.
type CallService interface {
	// CreateCall creates a call. An empty id mints a new serverCallId.
	CreateCall(ctx context.Context, id string) (*Call, error)
	// Call returns a call with its participants.
	Call(ctx context.Context, id string) (*Call, error)
	// EndCall ends a call; its recordings stop with reason CallEnded.
	EndCall(ctx context.Context, id string) error
	// JoinParticipant records that rawID joined (or rejoined) an active call.
	JoinParticipant(ctx context.Context, callID, rawID string) error
	// LeaveParticipant records that rawID left the call.
	LeaveParticipant(ctx context.Context, callID, rawID string) error
	// ListCalls returns a page of calls, oldest first.
	ListCalls(ctx context.Context, q CallQuery) (*CallPage, error)
}
