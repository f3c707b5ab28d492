package recorder

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/callrec/callrec/blob"
)

// Sweep deletes published content (audio and metadata) stored more than
// olderThan ago by the engine's clock, and returns the document ids whose
// audio it deleted. Age is taken from the time the engine stored the object,
// or the object's modification time if that is missing.
func (e *Engine) Sweep(ctx context.Context, olderThan time.Duration) ([]string, error) {
	cutoff := e.cfg.Clock().Add(-olderThan)
	var old []string
	err := e.cfg.Blob.List(ctx, "", func(a blob.Attributes) error {
		doc, _, _ := strings.Cut(a.Key, "/")
		if !validDocumentID(doc) || (!slices.Contains(mediaKeys(doc, ""), a.Key) && a.Key != metadataKey(doc)) {
			return nil // not ours
		}
		created := a.ModTime
		if s, ok := a.Metadata[metaCreated]; ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				created = t
			}
		}
		if created.Before(cutoff) {
			old = append(old, a.Key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var docs []string
	for _, key := range old {
		if err := e.cfg.Blob.Delete(ctx, key); err != nil && !blob.IsNotFound(err) {
			return docs, err
		}
		if doc, _, _ := strings.Cut(key, "/"); slices.Contains(mediaKeys(doc, ""), key) {
			docs = append(docs, doc)
		}
	}
	return docs, nil
}

// retentionLoop sweeps every RetentionEvery until the engine closes.
func (e *Engine) retentionLoop() {
	t := time.NewTicker(e.cfg.RetentionEvery)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
			docs, err := e.Sweep(e.ctx, e.cfg.Retention)
			if err != nil {
				e.log.Error("recorder: retention sweep", "err", err)
			} else if len(docs) > 0 {
				e.log.Info("recorder: retention deleted content", "documents", len(docs))
			}
		}
	}
}
