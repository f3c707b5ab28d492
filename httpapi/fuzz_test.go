package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// FuzzStartRequest parses hostile start bodies: no panic, and every
// rejection is a coded 400 (or 415) naming what is wrong.
func FuzzStartRequest(f *testing.F) {
	f.Add(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"x"},"recordingChannelType":"unmixed","recordingFormatType":"wav","channelAffinity":[{"channel":0,"participant":{"rawId":"8:acs:a"}}]}`)
	f.Add(`{"callLocator":{"kind":"groupCallLocator"},"channelAffinity":[{"participant":{}}]}`)
	f.Add(`{"callConnectionId":"c","audioChannelParticipantOrdering":[{"phoneNumber":{"value":"+1"}}]}`)
	f.Add(`{"callLocator":{"kind":"roomCallLocator","roomId":"r"},"externalStorage":{"recordingStorageKind":"x"}}`)
	f.Add(`[]`)
	f.Add(`{"channelAffinity":[{"channel":-1,"participant":{"rawId":"a"}},{"participant":{"rawId":"b"}}],"callLocator":{"serverCallId":"s"},"recordingChannelType":"UNMIXED"}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/calling/recordings", nil)
		r.Header.Set("Content-Type", "application/json")
		var req acswire.StartCallRecordingRequest
		if err := decodeJSON(r, []byte(body), &req); err != nil {
			if callrec.KindOf(err) != callrec.KindInvalid {
				t.Fatalf("decode: kind %s: %v", callrec.KindOf(err), err)
			}
			return
		}
		start, err := parseStartRequest(&req)
		if err == nil {
			err = start.Spec.Validate(callrec.MaxUnmixedChannels)
		}
		if err != nil {
			e := callrec.AsError(err)
			if e.Kind != callrec.KindInvalid || e.Code == "" || e.Message == "" {
				t.Fatalf("rejection is not a coded 400: %+v", e)
			}
			return
		}
		var raw acswire.StartCallRecordingRequest
		json.Unmarshal([]byte(body), &raw)
		for _, a := range raw.ChannelAffinity {
			if a.Channel != nil && (*a.Channel < 0 || *a.Channel >= callrec.MaxUnmixedChannels) {
				t.Fatalf("accepted channel %d", *a.Channel)
			}
		}
		for _, a := range start.Spec.ChannelAffinity {
			if a.Channel < 0 || a.Channel >= callrec.MaxUnmixedChannels || a.Participant == "" {
				t.Fatalf("accepted affinity %+v", a)
			}
		}
		if _, err := json.Marshal(start.Spec); err != nil {
			t.Fatal(err)
		}
	})
}
