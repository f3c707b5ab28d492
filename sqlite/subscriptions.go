package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/callrec/callrec"
)

const subscriptionColumns = `name, url, schema, types, subject_prefix, secret, state, reason, validation_deadline, created_at`

// PutSubscription creates or replaces a subscription. token is the secret
// part of its manual validation URL ("" when it has none).
func (d *DB) PutSubscription(ctx context.Context, s *callrec.Subscription, token string) error {
	types, err := json.Marshal(nonNil(s.Types))
	if err != nil {
		return callrec.Internal(err, "encoding subscription")
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (`+subscriptionColumns+`, validation_token)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET url = excluded.url, schema = excluded.schema, types = excluded.types,
			subject_prefix = excluded.subject_prefix, secret = excluded.secret, state = excluded.state,
			reason = excluded.reason, validation_deadline = excluded.validation_deadline,
			validation_token = excluded.validation_token`,
			s.Name, s.URL, s.Schema, string(types), s.SubjectPrefix, s.Secret, s.State, s.Reason,
			formatTimePtr(s.ValidationDeadline), formatTime(s.CreatedAt), token)
		if err != nil {
			return callrec.Internal(err, "storing subscription")
		}
		return nil
	})
}

// SetSubscriptionState records the outcome of a validation.
func (d *DB) SetSubscriptionState(ctx context.Context, name string, state callrec.SubscriptionState, reason string, deadline *time.Time) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET state = ?, reason = ?, validation_deadline = ? WHERE name = ?`,
			state, reason, formatTimePtr(deadline), name)
		if err != nil {
			return callrec.Internal(err, "storing subscription state")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return subscriptionNotFound(name)
		}
		return nil
	})
}

// ValidateSubscription marks an awaitingValidation subscription validated
// if token is its validation token and its deadline (if any) is after now.
func (d *DB) ValidateSubscription(ctx context.Context, name, token string, now time.Time) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var state, want string
		var deadline sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT state, validation_token, validation_deadline FROM subscriptions WHERE name = ?`, name).
			Scan(&state, &want, &deadline)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (want == "" || want != token)) {
			// An unknown name and a wrong token look the same to the caller.
			return subscriptionNotFound(name)
		}
		if err != nil {
			return callrec.Internal(err, "reading subscription")
		}
		if callrec.SubscriptionState(state) == callrec.SubscriptionValidated {
			return nil
		}
		if dl := parseTimePtr(deadline); dl != nil && now.After(*dl) {
			return callrec.Errorf(callrec.KindInvalid, "SubscriptionValidationExpired",
				"the validation deadline of subscription %q passed at %s", name, formatTime(*dl))
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscriptions SET state = ?, reason = '', validation_deadline = NULL WHERE name = ?`,
			callrec.SubscriptionValidated, name)
		if err != nil {
			return callrec.Internal(err, "storing subscription state")
		}
		return nil
	})
}

// SubscriptionToken returns the secret part of a subscription's manual
// validation URL ("" when it has none), so that a retried handshake offers
// the same URL.
func (d *DB) SubscriptionToken(ctx context.Context, name string) (string, error) {
	var token string
	err := d.db.QueryRowContext(ctx, `SELECT validation_token FROM subscriptions WHERE name = ?`, name).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return "", subscriptionNotFound(name)
	}
	if err != nil {
		return "", callrec.Internal(err, "reading subscription")
	}
	return token, nil
}

// Subscription returns one subscription, secret included.
func (d *DB) Subscription(ctx context.Context, name string) (*callrec.Subscription, error) {
	s, err := scanSubscription(d.db.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, subscriptionNotFound(name)
	}
	if err != nil {
		return nil, callrec.Internal(err, "reading subscription")
	}
	return s, nil
}

// Subscriptions lists every subscription by name, secrets included.
func (d *DB) Subscriptions(ctx context.Context) ([]*callrec.Subscription, error) {
	return querySubscriptions(ctx, d.db, ``)
}

// DeleteSubscription removes a subscription. Its pending deliveries stay in
// the outbox: events already accepted for it are still delivered.
func (d *DB) DeleteSubscription(ctx context.Context, name string) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE name = ?`, name)
		if err != nil {
			return callrec.Internal(err, "deleting subscription")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return subscriptionNotFound(name)
		}
		return nil
	})
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func querySubscriptions(ctx context.Context, q querier, where string, args ...any) ([]*callrec.Subscription, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, callrec.Internal(err, "reading subscriptions")
	}
	defer rows.Close()
	var out []*callrec.Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, callrec.Internal(err, "reading subscriptions")
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, callrec.Internal(err, "reading subscriptions")
	}
	return out, nil
}

func scanSubscription(s scanner) (*callrec.Subscription, error) {
	var sub callrec.Subscription
	var types, created string
	var deadline sql.NullString
	if err := s.Scan(&sub.Name, &sub.URL, &sub.Schema, &types, &sub.SubjectPrefix, &sub.Secret, &sub.State,
		&sub.Reason, &deadline, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &sub.Types); err != nil {
		return nil, err
	}
	sub.ValidationDeadline, sub.CreatedAt = parseTimePtr(deadline), parseTime(created)
	return &sub, nil
}

func subscriptionNotFound(name string) error {
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeSubscriptionNotFound, "event subscription %q not found", name)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
