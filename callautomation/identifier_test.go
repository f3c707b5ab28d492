package callautomation

import (
	"encoding/json"
	"testing"
)

func TestIdentifierFromRawID(t *testing.T) {
	cases := []struct {
		raw  string
		want CommunicationIdentifier
	}{
		{"8:acs:res_0001", CommunicationUserIdentifier{ID: "8:acs:res_0001"}},
		{"8:spool:res_0002", CommunicationUserIdentifier{ID: "8:spool:res_0002"}},
		{"8:gcch-acs:res_0003", CommunicationUserIdentifier{ID: "8:gcch-acs:res_0003"}},
		{"4:+14255550123", PhoneNumberIdentifier{PhoneNumber: "+14255550123"}},
		{"4:anonymous", PhoneNumberIdentifier{IsAnonymous: true}},
		{"8:orgid:aaaa", MicrosoftTeamsUserIdentifier{UserID: "aaaa", Cloud: TeamsCloudPublic}},
		{"8:dod:bbbb", MicrosoftTeamsUserIdentifier{UserID: "bbbb", Cloud: TeamsCloudDod}},
		{"8:gcch:cccc", MicrosoftTeamsUserIdentifier{UserID: "cccc", Cloud: TeamsCloudGcch}},
		{"8:teamsvisitor:dddd", MicrosoftTeamsUserIdentifier{UserID: "dddd", Cloud: TeamsCloudPublic, IsAnonymous: true}},
		{"28:some-raw-id", UnknownIdentifier{ID: "28:some-raw-id"}},
		{"8:orgid:", UnknownIdentifier{ID: "8:orgid:"}},
		{"alice", UnknownIdentifier{ID: "alice"}},
	}
	for _, c := range cases {
		got := IdentifierFromRawID(c.raw)
		if got != c.want {
			t.Errorf("IdentifierFromRawID(%q) = %#v, want %#v", c.raw, got, c.want)
		}
		if got.RawID() != c.raw {
			t.Errorf("IdentifierFromRawID(%q).RawID() = %q", c.raw, got.RawID())
		}
	}
}

// TestIdentifierWireMatchesJSSDK compares with the identifier models the
// official JS SDK sends (docs/acs-compatibility.md, "The official SDKs").
func TestIdentifierWireMatchesJSSDK(t *testing.T) {
	cases := []struct {
		id   CommunicationIdentifier
		want string
	}{
		{CommunicationUserIdentifier{ID: "8:acs:r_01"},
			`{"kind":"communicationUser","rawId":"8:acs:r_01","communicationUser":{"id":"8:acs:r_01"}}`},
		{PhoneNumberIdentifier{PhoneNumber: "+14255550123"},
			`{"kind":"phoneNumber","rawId":"4:+14255550123","phoneNumber":{"value":"+14255550123","isAnonymous":false}}`},
		{MicrosoftTeamsUserIdentifier{UserID: "aaaa"},
			`{"kind":"microsoftTeamsUser","rawId":"8:orgid:aaaa","microsoftTeamsUser":{"userId":"aaaa","isAnonymous":false,"cloud":"public"}}`},
		{UnknownIdentifier{ID: "28:some-raw-id"}, `{"kind":"unknown","rawId":"28:some-raw-id"}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.id.wire())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%T wire:\n got %s\nwant %s", c.id, b, c.want)
		}
	}
}

func TestCallLocatorWire(t *testing.T) {
	cases := []struct {
		l    CallLocator
		want string
	}{
		{ServerCallLocator{ID: "s1"}, `{"kind":"serverCallLocator","serverCallId":"s1"}`},
		{GroupCallLocator{ID: "g1"}, `{"kind":"groupCallLocator","groupCallId":"g1"}`},
		{RoomCallLocator{ID: "r1"}, `{"kind":"roomCallLocator","roomId":"r1"}`},
	}
	for _, c := range cases {
		b, _ := json.Marshal(c.l.wire())
		if string(b) != c.want || c.l.LocatorID() == "" {
			t.Errorf("%T: got %s, want %s", c.l, b, c.want)
		}
	}
}
