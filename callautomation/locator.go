package callautomation

import "github.com/callrec/callrec/internal/acswire"

// CallLocator names the call a recording captures.
type CallLocator interface {
	// LocatorID is the call's id within its kind.
	LocatorID() string
	wire() *acswire.CallLocator
}

// ServerCallLocator locates a call by its serverCallId, which is what
// callrec's calls are known by.
type ServerCallLocator struct{ ID string }

// LocatorID returns the serverCallId.
func (l ServerCallLocator) LocatorID() string { return l.ID }

func (l ServerCallLocator) wire() *acswire.CallLocator {
	return &acswire.CallLocator{Kind: "serverCallLocator", ServerCallID: l.ID}
}

// GroupCallLocator locates an ACS group call by its group id.
type GroupCallLocator struct{ ID string }

// LocatorID returns the group call id.
func (l GroupCallLocator) LocatorID() string { return l.ID }

func (l GroupCallLocator) wire() *acswire.CallLocator {
	return &acswire.CallLocator{Kind: "groupCallLocator", GroupCallID: l.ID}
}

// RoomCallLocator locates an ACS rooms call by its room id.
type RoomCallLocator struct{ ID string }

// LocatorID returns the room id.
func (l RoomCallLocator) LocatorID() string { return l.ID }

func (l RoomCallLocator) wire() *acswire.CallLocator {
	return &acswire.CallLocator{Kind: "roomCallLocator", RoomID: l.ID}
}
