package byos

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Folder is a recording's folder in the destination, ACS's
// YYYYMMDD/callId/<first 8 characters of the recording id>-<guid>
// (learn.microsoft.com/azure/communication-services/quickstarts/call-automation/call-recording/bring-your-own-storage,
// "Folder Structure for Call Recording"): the UTC day the recording
// started, its serverCallId, and a new guid. Ids are made safe as blob name
// segments: "/" and "+" of base64 become "_" and "-", and any other
// character outside letters, digits, ".", "_", "-" and "=" becomes "_".
func Folder(started time.Time, serverCallID, recordingID string) string {
	first := recordingID
	if len(first) > 8 {
		first = first[:8]
	}
	return started.UTC().Format("20060102") + "/" + segment(serverCallID) + "/" + segment(first) + "-" + uuid.NewString()
}

func segment(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '/':
			return '_'
		case r == '+':
			return '-'
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '=':
			return r
		}
		return '_'
	}, s)
}

// MetadataName is a chunk's metadata document in folder, ACS's
// "<chunk index>-acsmetadata.<documentId>.json".
func MetadataName(folder string, index int, documentID string) string {
	return fmt.Sprintf("%s/%d-acsmetadata.%s.json", folder, index, documentID)
}

// MediaName is a chunk's media file in folder. ACS documents
// "<chunk index>-audiomp3.<documentId>.mp3"; callrec names the other
// formats alike: "-audiowav.<documentId>.wav", "-videomp4.<documentId>.mp4".
func MediaName(folder string, index int, documentID, part, ext string) string {
	return fmt.Sprintf("%s/%d-%s%s.%s.%s", folder, index, part, ext, documentID, ext)
}
