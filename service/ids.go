package service

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/callrec/callrec"
)

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	return formatUUID(b)
}

// fileEventID is the id of a recording's RecordingFileStatusUpdated event:
// a name-based UUID (version 8, from SHA-256) of the recording id, the same
// on every node. The events table's primary key takes it once, so that two
// nodes finishing one recording (a lost node's, taken over) cannot both
// send it: the second one's transaction fails, and it stands back.
func fileEventID(recordingID string) string {
	sum := sha256.Sum256([]byte("RecordingFileStatusUpdated\x00" + recordingID))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	var out strings.Builder
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out.WriteByte('-')
		}
		out.WriteByte(hex[c>>4])
		out.WriteByte(hex[c&0xf])
	}
	return out.String()
}

// newRecordingID mints an id shaped like ACS's: standard base64 of
// {"PlatformEndpointId":"<uuid>","ResourceSpecificId":"<uuid>"}.
func newRecordingID() string {
	b, _ := json.Marshal(struct {
		PlatformEndpointID string `json:"PlatformEndpointId"`
		ResourceSpecificID string `json:"ResourceSpecificId"`
	}{newUUID(), newUUID()})
	return base64.StdEncoding.EncodeToString(b)
}

// newServerCallID mints an opaque standard-base64 serverCallId, shaped like
// ACS's (base64 of a conversation URL).
func newServerCallID() string {
	return base64.StdEncoding.EncodeToString([]byte("callrec:conv/" + newUUID() + "?i=0"))
}

// validateID accepts the ids clients may choose: 1–512 printable ASCII
// characters without whitespace.
func validateID(field, id string) error {
	if id == "" || len(id) > 512 {
		return callrec.FieldErrorf(field, callrec.CodeInvalidID, "%s must be 1 to 512 characters", field)
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return callrec.FieldErrorf(field, callrec.CodeInvalidID, "%s contains a character that is not printable ASCII", field)
		}
	}
	return nil
}
