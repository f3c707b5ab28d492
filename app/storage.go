package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/byos"
)

// openRecordings opens the store of recorded files: Config.Storage, or the
// directory DataDir/recordings.
func openRecordings(ctx context.Context, cfg Config) (*blob.Bucket, error) {
	if cfg.Storage == "" {
		b, err := blob.OpenDir(filepath.Join(cfg.DataDir, "recordings"))
		if err != nil {
			return nil, fmt.Errorf("opening recordings store: %w", err)
		}
		return b, nil
	}
	b, err := blob.Open(ctx, cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("--storage %s: %w", blob.Redacted(cfg.Storage), err)
	}
	if err := b.Check(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("--storage %s: %w", blob.Redacted(cfg.Storage), err)
	}
	return b, nil
}

// newExporter loads the destinations of Config.ExternalStorageFile; nil
// without one (externalStorage is refused).
func newExporter(cfg Config, src byos.Source, log *slog.Logger) (*byos.Exporter, error) {
	if cfg.ExternalStorageFile == "" {
		return nil, nil
	}
	d, err := byos.Load(cfg.ExternalStorageFile)
	if err != nil {
		return nil, fmt.Errorf("--external-storage: %w", err)
	}
	log.Info("external storage destinations allowed", "destinations", d.Len())
	return &byos.Exporter{Destinations: d, Source: src, Retries: cfg.ExportRetries, Logger: log.With("component", "byos")}, nil
}
