package postgres

import (
	"os"
	"testing"

	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/internal/storetest"
)

// TestMain runs one throwaway PostgreSQL server for the package's tests.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestConformance runs the store suite that package sqlite passes too.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		return opener(pgtest.NewDatabase(t))
	})
}

// opener opens handles on the database at dsn, each closed after the test.
func opener(dsn string) storetest.Opener {
	return func(t *testing.T) storetest.Store {
		db, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}
