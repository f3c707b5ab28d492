-- +goose Up
-- Event subscriptions: insertEvents fans each event out to the validated
-- subscriptions that match it, one delivery each, in the same transaction.
CREATE TABLE subscriptions (
    name                TEXT PRIMARY KEY,
    url                 TEXT NOT NULL,
    schema              TEXT NOT NULL,
    types               TEXT NOT NULL DEFAULT '[]',
    subject_prefix      TEXT NOT NULL DEFAULT '',
    secret              TEXT NOT NULL DEFAULT '',
    state               TEXT NOT NULL,
    reason              TEXT NOT NULL DEFAULT '',
    validation_token    TEXT NOT NULL DEFAULT '',
    validation_deadline TEXT,
    created_at          TEXT NOT NULL
);

-- Dead letters are deliveries with status 'dead'; this finds them quickly.
CREATE INDEX deliveries_by_status ON deliveries(status, id);

-- +goose Down
DROP INDEX deliveries_by_status;
DROP TABLE subscriptions;
