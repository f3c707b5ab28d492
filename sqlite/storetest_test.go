package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/callrec/callrec/internal/storetest"
)

// TestConformance runs the store suite that package postgres passes too.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "callrec.db")
		return func(t *testing.T) storetest.Store {
			db, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
	})
}
