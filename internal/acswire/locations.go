package acswire

import (
	"strings"

	"github.com/callrec/callrec"
)

// ChunkLocations lists a recording's chunks with their absolute content,
// metadata and delete URLs under publicURL:
//
//	{publicURL}/v1/objects/{documentId}/content/audio (video for mp4)
//	{publicURL}/v1/objects/{documentId}/content/acsmetadata
//	{publicURL}/v1/objects/{documentId}                     (delete)
//
// The URLs carry no query string, so every SDK's signing variant verifies.
// pascalReasons spells endReason as Event Grid events do (SessionEnded)
// rather than as the REST result does (sessionEnded).
func ChunkLocations(publicURL string, r *callrec.Recording, pascalReasons bool) []RecordingChunk {
	base := strings.TrimRight(publicURL, "/") + "/v1/objects/"
	part := callrec.PartAudio
	if r.Spec.Format == callrec.FormatMp4 {
		part = callrec.PartVideo
	}
	out := make([]RecordingChunk, 0, len(r.Chunks))
	for _, c := range r.Chunks {
		reason := c.EndReason
		if pascalReasons {
			reason = Pascal(reason)
		}
		out = append(out, RecordingChunk{
			DocumentID:       c.DocumentID,
			Index:            c.Index,
			EndReason:        reason,
			ContentLocation:  base + c.DocumentID + "/content/" + part,
			MetadataLocation: base + c.DocumentID + "/content/" + callrec.PartMetadata,
			DeleteLocation:   base + c.DocumentID,
		})
	}
	return out
}

// Pascal turns a lower-camel enum value into the PascalCase that Event Grid
// events use (callEnded → CallEnded).
func Pascal(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
