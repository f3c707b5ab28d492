// Package postgres is callrec's shared state store: calls, participants,
// recordings, subscriptions and the event outbox in a PostgreSQL database
// (github.com/jackc/pgx/v5), with embedded goose migrations. It implements
// the same interfaces as package sqlite (callrec.Store, the outbox, event
// subscriptions, dead letters and the event feed), so that several callrec
// processes can share one database: claims of the outbox lock the rows they
// take with FOR UPDATE SKIP LOCKED, so no two processes claim the same
// delivery.
//
// Every state change is written in one transaction with the events it
// causes. Times are kept as timestamptz, to the microsecond (SQLite keeps
// nanoseconds). Event inserts take a transaction-scoped advisory lock, so
// that event feed positions are assigned in commit order and a reader that
// resumes after a position never skips an event committed later.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/callrec/callrec"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a callrec.Store on a PostgreSQL database.
type DB struct {
	db *sql.DB
}

var _ callrec.Store = (*DB)(nil)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string) and migrates it.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return &DB{db: db}, nil
}

// migrate applies the embedded migrations. goose takes a session advisory
// lock, so processes starting together migrate one at a time.
func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (d *DB) Close() error { return d.db.Close() }

// inTx runs fn in a transaction, committing on nil error.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err, callrec.Unavailable(err, "the database is unavailable"))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return unavailable(err, err)
	}
	if err := tx.Commit(); err != nil {
		return unavailable(err, callrec.Internal(err, "database commit failed"))
	}
	return nil
}

func utc(t time.Time) time.Time { return t.UTC() }

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}
