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

// mediaKey is the blob key of a document's media in format cf:
// "<documentId>/audio.wav", "<documentId>/audio.mp3" or
// "<documentId>/video.mp4".
func mediaKey(docID string, cf chunkFormat) string { return docID + "/" + cf.part + "." + cf.ext }

// mediaKeys lists the keys a document's media may have, one per format,
// of content part part ("" for every part).
func mediaKeys(docID, part string) []string {
	var keys []string
	for _, cf := range chunkFormats {
		if part == "" || cf.part == part {
			keys = append(keys, mediaKey(docID, cf))
		}
	}
	return keys
}

func metadataKey(docID string) string { return docID + "/acsmetadata.json" }
