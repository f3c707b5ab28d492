package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callrec/callrec/internal/pgtest"
)

// TestMain runs one throwaway PostgreSQL server for the tests of
// `callrec migrate --database`.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestCLIMigrate: migrate applies every migration to an empty PostgreSQL
// database and to a new SQLite file, says so, is a no-op the second time,
// and refuses a database URL of another kind.
func TestCLIMigrate(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	for range 2 {
		if out := mustRun(t, "", "migrate", "--database", dsn); !strings.Contains(out, "PostgreSQL database is up to date") {
			t.Fatalf("migrate printed %q", out)
		}
	}
	checkMigrated(t, "pgx", dsn)

	dir := t.TempDir()
	if out := mustRun(t, "", "migrate", "--data", dir); !strings.Contains(out, "up to date") {
		t.Fatalf("migrate printed %q", out)
	}
	checkMigrated(t, "sqlite", filepath.Join(dir, "callrec.db"))

	if r := runCLI(t, "", "migrate", "--database", "mysql://127.0.0.1/x"); r.err == nil || !strings.Contains(r.stderr, "--database") {
		t.Fatalf("a mysql URL: %v, stderr %q", r.err, r.stderr)
	}
}

// checkMigrated checks that the database has goose's version table with
// applied migrations, and the outbox's table.
func checkMigrated(t *testing.T, driver, dsn string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied, deliveries int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied); err != nil || applied == 0 {
		t.Fatalf("%s: %d migrations applied, %v", driver, applied, err)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM deliveries`).Scan(&deliveries); err != nil {
		t.Fatalf("%s: the outbox's table: %v", driver, err)
	}
}
