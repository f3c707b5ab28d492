package callautomation

import (
	"strings"

	"github.com/callrec/callrec/internal/acswire"
)

// CommunicationIdentifier identifies a participant: an ACS user, a phone
// number, a Teams user, or anything else by its raw id.
type CommunicationIdentifier interface {
	// RawID is the identifier's canonical string form, such as
	// "8:acs:<resource>_<guid>" or "4:+14255550123".
	RawID() string
	wire() acswire.CommunicationIdentifier
}

// CommunicationUserIdentifier is an ACS user; ID is its full raw id
// ("8:acs:…").
type CommunicationUserIdentifier struct {
	ID string
}

// RawID returns the user's id.
func (u CommunicationUserIdentifier) RawID() string { return u.ID }

func (u CommunicationUserIdentifier) wire() acswire.CommunicationIdentifier {
	return acswire.CommunicationIdentifier{
		Kind:              "communicationUser",
		RawID:             u.RawID(),
		CommunicationUser: &acswire.CommunicationUser{ID: u.ID},
	}
}

// PhoneNumberIdentifier is a PSTN participant; PhoneNumber is in E.164 form
// ("+14255550123").
type PhoneNumberIdentifier struct {
	PhoneNumber string
	// IsAnonymous marks a caller that withheld its number.
	IsAnonymous bool
}

// RawID returns "4:" followed by the phone number, or "4:anonymous".
func (p PhoneNumberIdentifier) RawID() string {
	if p.IsAnonymous {
		return "4:anonymous"
	}
	return "4:" + p.PhoneNumber
}

func (p PhoneNumberIdentifier) wire() acswire.CommunicationIdentifier {
	anonymous := p.IsAnonymous
	return acswire.CommunicationIdentifier{
		Kind:        "phoneNumber",
		RawID:       p.RawID(),
		PhoneNumber: &acswire.PhoneNumber{Value: p.PhoneNumber, IsAnonymous: &anonymous},
	}
}

// TeamsCloud is the Microsoft cloud a Teams user lives in.
type TeamsCloud string

// Teams clouds, spelled as on the wire.
const (
	TeamsCloudPublic TeamsCloud = "public"
	TeamsCloudDod    TeamsCloud = "dod"
	TeamsCloudGcch   TeamsCloud = "gcch"
)

// MicrosoftTeamsUserIdentifier is a Teams user, by Entra object id.
type MicrosoftTeamsUserIdentifier struct {
	UserID      string
	IsAnonymous bool
	Cloud       TeamsCloud // empty means public
}

// RawID returns "8:orgid:<userId>" (public cloud), "8:dod:…", "8:gcch:…",
// or "8:teamsvisitor:…" for anonymous users.
func (t MicrosoftTeamsUserIdentifier) RawID() string {
	if t.IsAnonymous {
		return "8:teamsvisitor:" + t.UserID
	}
	switch t.Cloud {
	case TeamsCloudDod:
		return "8:dod:" + t.UserID
	case TeamsCloudGcch:
		return "8:gcch:" + t.UserID
	}
	return "8:orgid:" + t.UserID
}

func (t MicrosoftTeamsUserIdentifier) wire() acswire.CommunicationIdentifier {
	anonymous := t.IsAnonymous
	cloud := t.Cloud
	if cloud == "" {
		cloud = TeamsCloudPublic
	}
	return acswire.CommunicationIdentifier{
		Kind:  "microsoftTeamsUser",
		RawID: t.RawID(),
		MicrosoftTeamsUser: &acswire.MicrosoftTeamsUser{
			UserID: t.UserID, IsAnonymous: &anonymous, Cloud: string(cloud),
		},
	}
}

// UnknownIdentifier is any identity the SDK has no type for; it travels as
// its raw id alone.
type UnknownIdentifier struct {
	ID string
}

// RawID returns the id as given.
func (u UnknownIdentifier) RawID() string { return u.ID }

func (u UnknownIdentifier) wire() acswire.CommunicationIdentifier {
	return acswire.CommunicationIdentifier{Kind: "unknown", RawID: u.ID}
}

// IdentifierFromRawID parses a raw id as the official SDKs do:
// "8:acs:…" (and "8:spool:", "8:dod-acs:", "8:gcch-acs:") is an ACS user,
// "4:…" a phone number, "8:orgid:…" (and "8:dod:", "8:gcch:",
// "8:teamsvisitor:") a Teams user; anything else is an UnknownIdentifier.
func IdentifierFromRawID(raw string) CommunicationIdentifier {
	if number, ok := strings.CutPrefix(raw, "4:"); ok {
		if number == "anonymous" {
			return PhoneNumberIdentifier{IsAnonymous: true}
		}
		return PhoneNumberIdentifier{PhoneNumber: number}
	}
	for _, prefix := range []string{"8:acs:", "8:spool:", "8:dod-acs:", "8:gcch-acs:"} {
		if strings.HasPrefix(raw, prefix) {
			return CommunicationUserIdentifier{ID: raw}
		}
	}
	teams := []struct {
		prefix    string
		cloud     TeamsCloud
		anonymous bool
	}{
		{"8:orgid:", TeamsCloudPublic, false},
		{"8:dod:", TeamsCloudDod, false},
		{"8:gcch:", TeamsCloudGcch, false},
		{"8:teamsvisitor:", TeamsCloudPublic, true},
	}
	for _, t := range teams {
		if id, ok := strings.CutPrefix(raw, t.prefix); ok && id != "" {
			return MicrosoftTeamsUserIdentifier{UserID: id, Cloud: t.cloud, IsAnonymous: t.anonymous}
		}
	}
	return UnknownIdentifier{ID: raw}
}
