package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/callrec/callrec"
)

// unavailable maps a failure to reach the server (no answer, a lost
// connection, a server shutting down) to an Unavailable error (503): the
// request may succeed later. Other errors are otherwise.
func unavailable(err, otherwise error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "08", "57": // connection exception; operator intervention (shutdown)
			return callrec.Unavailable(err, "the database is unavailable")
		}
		return otherwise
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return callrec.Unavailable(err, "the database is unavailable")
	}
	return otherwise
}

// internal is callrec.Internal(err, msg), or Unavailable when err says the
// server could not be reached.
func internal(err error, msg string) error {
	return unavailable(err, callrec.Internal(err, msg))
}
