package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/callrec/callrec/blob"
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
