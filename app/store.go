package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/postgres"
	"github.com/callrec/callrec/service"
	"github.com/callrec/callrec/sqlite"
)

// Store is the node's state store: package sqlite's embedded file (the
// default) or package postgres's shared database (Config.Database).
type Store interface {
	callrec.Store
	callrec.NodeStore
	callrec.CallConnectionStore
	service.SubscriptionStore
	CountDeliveries(ctx context.Context) (map[callrec.DeliveryStatus]int64, error)
	Deliveries(ctx context.Context, status callrec.DeliveryStatus, limit int) ([]callrec.Delivery, error)
	Events(ctx context.Context, typ string) ([]callrec.Event, error)
	// ReleaseLeases makes the deliveries a killed predecessor had claimed
	// due again at once; a store that several nodes share releases none.
	ReleaseLeases(ctx context.Context) (int64, error)
	Ping(ctx context.Context) error
}

var (
	_ Store = (*sqlite.DB)(nil)
	_ Store = (*postgres.DB)(nil)
)

// IsPostgresURL reports whether database names a PostgreSQL database
// (postgres:// or postgresql://) rather than the embedded SQLite file.
func IsPostgresURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// OpenStore opens and migrates the state store: the PostgreSQL database
// at database when it is a postgres:// URL, else the SQLite file
// DATA/callrec.db. Any other non-empty value is an error.
func OpenStore(ctx context.Context, database, dataDir string) (Store, error) {
	switch {
	case IsPostgresURL(database):
		db, err := postgres.Open(ctx, database)
		if err != nil {
			return nil, fmt.Errorf("--database: %w", err)
		}
		return db, nil
	case database == "":
		return sqlite.Open(ctx, filepath.Join(dataDir, "callrec.db"))
	}
	return nil, fmt.Errorf("--database %q: want a postgres:// URL, or nothing for the SQLite file in the data directory", database)
}
