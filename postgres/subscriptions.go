package postgres

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
		return internal(err, "encoding subscription")
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (`+subscriptionColumns+`, validation_token)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (name) DO UPDATE SET url = excluded.url, schema = excluded.schema, types = excluded.types,
			subject_prefix = excluded.subject_prefix, secret = excluded.secret, state = excluded.state,
			reason = excluded.reason, validation_deadline = excluded.validation_deadline,
			validation_token = excluded.validation_token`,
			s.Name, s.URL, s.Schema, string(types), s.SubjectPrefix, s.Secret, s.State, s.Reason,
			nullTime(s.ValidationDeadline), s.CreatedAt, token)
		if err != nil {
			return internal(err, "storing subscription")
		}
		return nil
	})
}

// SetSubscriptionState records the outcome of a validation.
func (d *DB) SetSubscriptionState(ctx context.Context, name string, state callrec.SubscriptionState, reason string, deadline *time.Time) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET state = $1, reason = $2, validation_deadline = $3 WHERE name = $4`,
			state, reason, nullTime(deadline), name)
		if err != nil {
			return internal(err, "storing subscription state")
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
		var deadline sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT state, validation_token, validation_deadline FROM subscriptions
			WHERE name = $1 FOR UPDATE`, name).Scan(&state, &want, &deadline)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (want == "" || want != token)) {
			// An unknown name and a wrong token look the same to the caller.
			return subscriptionNotFound(name)
		}
		if err != nil {
			return internal(err, "reading subscription")
		}
		if callrec.SubscriptionState(state) == callrec.SubscriptionValidated {
			return nil
		}
		if dl := timePtr(deadline); dl != nil && now.After(*dl) {
			return callrec.Errorf(callrec.KindInvalid, "SubscriptionValidationExpired",
				"the validation deadline of subscription %q passed at %s", name, dl.Format(time.RFC3339Nano))
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscriptions SET state = $1, reason = '', validation_deadline = NULL WHERE name = $2`,
			callrec.SubscriptionValidated, name)
		if err != nil {
			return internal(err, "storing subscription state")
		}
		return nil
	})
}

// SubscriptionToken returns the secret part of a subscription's manual
// validation URL ("" when it has none).
func (d *DB) SubscriptionToken(ctx context.Context, name string) (string, error) {
	var token string
	err := d.db.QueryRowContext(ctx, `SELECT validation_token FROM subscriptions WHERE name = $1`, name).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return "", subscriptionNotFound(name)
	}
	if err != nil {
		return "", internal(err, "reading subscription")
	}
	return token, nil
}

// Subscription returns one subscription, secret included.
func (d *DB) Subscription(ctx context.Context, name string) (*callrec.Subscription, error) {
	s, err := scanSubscription(d.db.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, subscriptionNotFound(name)
	}
	if err != nil {
		return nil, internal(err, "reading subscription")
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
		res, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE name = $1`, name)
		if err != nil {
			return internal(err, "deleting subscription")
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
		return nil, internal(err, "reading subscriptions")
	}
	defer rows.Close()
	var out []*callrec.Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, internal(err, "reading subscriptions")
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "reading subscriptions")
	}
	return out, nil
}

func scanSubscription(s scanner) (*callrec.Subscription, error) {
	var sub callrec.Subscription
	var types []byte
	var deadline sql.NullTime
	if err := s.Scan(&sub.Name, &sub.URL, &sub.Schema, &types, &sub.SubjectPrefix, &sub.Secret, &sub.State,
		&sub.Reason, &deadline, &sub.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(types, &sub.Types); err != nil {
		return nil, err
	}
	sub.ValidationDeadline, sub.CreatedAt = timePtr(deadline), utc(sub.CreatedAt)
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
