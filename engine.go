package callrec

import (
	"context"
	"io"
	"time"
)

// RecordingEngine turns a call's live media into recorded files. The
// recording service drives it; it owns one recorder per live recording.
type RecordingEngine interface {
	// Check reports, as a coded error naming the field, whether the engine
	// can record spec. The service asks before it stores a recording.
	Check(spec *RecordingSpec) error
	// Start begins recording r (inactive from the start if r.State is
	// inactive). If files of r survive from before a restart, Start first
	// finalizes them (end reason ServiceRestarted) and continues with the
	// next chunk.
	Start(ctx context.Context, r *Recording) error
	Pause(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	// Stop finalizes the files and returns every chunk of the recording.
	Stop(ctx context.Context, id string, endReason string) ([]Chunk, error)
}

// RecordingEnd is a recording that its engine ended on its own, without
// Stop (its disk filled up). The service stops it with Reason.
type RecordingEnd struct {
	RecordingID string
	Reason      string
}

// Content parts of a recorded document, as in content URLs
// /v1/objects/{documentId}/content/{part}.
const (
	PartAudio    = "audio"
	PartVideo    = "video"
	PartMetadata = "acsmetadata"
)

// Content is an open recorded object.
type Content struct {
	io.ReadSeekCloser
	Size        int64
	ModTime     time.Time
	ETag        string
	ContentType string
}

// ContentStore serves recorded documents to the content routes.
type ContentStore interface {
	// OpenContent opens one part of a document, or ContentNotFound.
	OpenContent(ctx context.Context, documentID, part string) (*Content, error)
	// DeleteDocument removes a document's content and metadata, or
	// ContentNotFound.
	DeleteDocument(ctx context.Context, documentID string) error
}
