package byos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
)

// Source is where the exported bytes come from: callrec's own store, as
// its content routes serve them (recorder.Engine).
type Source interface {
	OpenContent(ctx context.Context, documentID, part string) (*callrec.Content, error)
}

// DefaultRetries are the waits between export attempts: about 8.5 minutes
// in all before an export has failed for good.
var DefaultRetries = []time.Duration{2 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// Exporter exports stopped recordings' files to their destinations.
type Exporter struct {
	Destinations *Destinations
	Source       Source
	// Retries are the waits between attempts; after the last attempt the
	// export has failed for good [DefaultRetries].
	Retries []time.Duration
	// AttemptTimeout bounds one attempt [30m].
	AttemptTimeout time.Duration
	Logger         *slog.Logger
}

// Outcome is how an export ended.
type Outcome struct {
	Exported bool
	Attempts int
	// Error says why the export failed for good (the last attempt's
	// error, without credentials).
	Error string
}

// Export copies every chunk of r (media and metadata document) to r's
// destination under r's folder, trying again on failure after each of
// Retries. It returns an error only when ctx ends first: the export is
// then neither done nor failed.
func (x *Exporter) Export(ctx context.Context, r *callrec.Recording) (Outcome, error) {
	es := r.Spec.ExternalStorage
	if es == nil {
		return Outcome{}, errors.New("byos: the recording has no external storage")
	}
	retries := x.Retries
	if retries == nil {
		retries = DefaultRetries
	}
	log := x.Logger
	if log == nil {
		log = slog.Default()
	}
	var last error
	for attempt := 1; ; attempt++ {
		last = x.attempt(ctx, r)
		if last == nil {
			return Outcome{Exported: true, Attempts: attempt}, nil
		}
		if ctx.Err() != nil {
			return Outcome{}, ctx.Err()
		}
		if attempt > len(retries) {
			log.WarnContext(ctx, "export to external storage failed for good", "recordingId", r.ID,
				"destination", es.ContainerURL, "attempts", attempt, "err", last)
			return Outcome{Attempts: attempt, Error: last.Error()}, nil
		}
		wait := retries[attempt-1]
		log.WarnContext(ctx, "export to external storage failed; trying again", "recordingId", r.ID,
			"destination", es.ContainerURL, "attempt", attempt, "retryIn", wait, "err", last)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Outcome{}, ctx.Err()
		}
	}
}

// attempt copies r's chunks once.
func (x *Exporter) attempt(ctx context.Context, r *callrec.Recording) error {
	timeout := x.AttemptTimeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dst, err := x.Destinations.Open(ctx, r.Spec.ExternalStorage)
	if err != nil {
		return err
	}
	defer dst.Close()
	part, ext := callrec.PartAudio, string(r.Spec.Format)
	if r.Spec.Format == callrec.FormatMp4 {
		part = callrec.PartVideo
	}
	folder := r.Spec.ExternalStorage.Folder
	for _, c := range r.Chunks {
		if err := x.copy(ctx, dst, c.DocumentID, part, MediaName(folder, c.Index, c.DocumentID, part, ext)); err != nil {
			return err
		}
		if err := x.copy(ctx, dst, c.DocumentID, callrec.PartMetadata, MetadataName(folder, c.Index, c.DocumentID)); err != nil {
			return err
		}
	}
	return nil
}

// copy stores one part of a document as name.
func (x *Exporter) copy(ctx context.Context, dst blob.Store, documentID, part, name string) error {
	src, err := x.Source.OpenContent(ctx, documentID, part)
	if err != nil {
		return fmt.Errorf("reading %s of %s: %w", part, documentID, err)
	}
	defer src.Close()
	if err := dst.Put(ctx, name, src, blob.PutOptions{ContentType: src.ContentType}); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
