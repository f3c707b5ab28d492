package recorder

import (
	"context"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
)

func contentNotFound(docID string) error {
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeContentNotFound, "no content for document %q", docID)
}

// OpenContent implements callrec.ContentStore: part "audio" is the WAV
// (audio/wav) or MP3 (audio/mpeg), "video" the MP4 (video/mp4),
// "acsmetadata" the metadata document (application/json). The ETag of the
// media is its quoted SHA-256. A document not in the store (not found, or
// the store failing) is read from the spool while its upload is pending
// (spoolContent); failing that, a store failure is Unavailable.
func (e *Engine) OpenContent(ctx context.Context, documentID, part string) (*callrec.Content, error) {
	if !validDocumentID(documentID) {
		return nil, contentNotFound(documentID)
	}
	var keys []string
	switch part {
	case callrec.PartAudio, callrec.PartVideo:
		keys = mediaKeys(documentID, part)
	case callrec.PartMetadata:
		keys = []string{metadataKey(documentID)}
	default:
		return nil, contentNotFound(documentID)
	}
	var obj *blob.Object
	var err error
	for _, key := range keys {
		if obj, err = e.cfg.Blob.Open(ctx, key); !blob.IsNotFound(err) {
			break
		}
	}
	if err != nil {
		if c := e.spoolContent(documentID, part); c != nil {
			return c, nil
		}
	}
	if blob.IsNotFound(err) {
		return nil, contentNotFound(documentID)
	}
	if err != nil {
		return nil, callrec.Unavailable(err, "cannot read content: the recordings store failed")
	}
	etag := obj.ETag
	if sum := obj.Metadata[metaSHA256]; sum != "" {
		etag = `"` + sum + `"`
	}
	return &callrec.Content{
		ReadSeekCloser: obj,
		Size:           obj.Size,
		ModTime:        obj.ModTime,
		ETag:           etag,
		ContentType:    obj.ContentType,
	}, nil
}

// DeleteDocument implements callrec.ContentStore: it removes the audio and
// the metadata of a document.
func (e *Engine) DeleteDocument(ctx context.Context, documentID string) error {
	if !validDocumentID(documentID) {
		return contentNotFound(documentID)
	}
	found := false
	for _, key := range append(mediaKeys(documentID, ""), metadataKey(documentID)) {
		err := e.cfg.Blob.Delete(ctx, key)
		switch {
		case err == nil:
			found = true
		case blob.IsNotFound(err):
		default:
			return callrec.Internal(err, "cannot delete content")
		}
	}
	if !found {
		return contentNotFound(documentID)
	}
	return nil
}
