package recorder

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
)

// newDocumentID mints an ACS-style document id: 0-<region>-d1-<32 hex>.
func newDocumentID(region string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "0-" + region + "-d1-" + hex.EncodeToString(b[:])
}

var documentIDPattern = regexp.MustCompile(`^0-[a-z0-9]{1,16}-d[0-9]{1,3}-[0-9a-f]{32}$`)

// validDocumentID reports whether id has the shape this engine mints (and so
// is safe in a path and a blob key).
func validDocumentID(id string) bool { return documentIDPattern.MatchString(id) }

// audioKey is the blob key of a document's audio in format cf:
// "<documentId>/audio.wav" or "<documentId>/audio.mp3".
func audioKey(docID string, cf chunkFormat) string { return docID + "/audio." + cf.ext }

// audioKeys lists the keys a document's audio may have, one per format.
func audioKeys(docID string) []string {
	keys := make([]string, len(chunkFormats))
	for i, cf := range chunkFormats {
		keys[i] = audioKey(docID, cf)
	}
	return keys
}

func metadataKey(docID string) string { return docID + "/acsmetadata.json" }
