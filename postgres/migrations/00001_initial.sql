-- +goose Up
-- The same state as the SQLite store's schema, in PostgreSQL's types. Lists
-- and the event feed page by seq (keyset, never OFFSET): the order rows were
-- inserted in.
CREATE TABLE calls (
    seq        BIGSERIAL UNIQUE,
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ
);
CREATE INDEX calls_by_state ON calls(state, seq);

CREATE TABLE participants (
    call_id   TEXT NOT NULL REFERENCES calls(id),
    raw_id    TEXT NOT NULL,
    joined_at TIMESTAMPTZ NOT NULL,
    left_at   TIMESTAMPTZ,
    PRIMARY KEY (call_id, raw_id)
);

CREATE TABLE recordings (
    seq              BIGSERIAL UNIQUE,
    id               TEXT PRIMARY KEY,
    call_id          TEXT NOT NULL REFERENCES calls(id),
    repeatability_id TEXT UNIQUE,
    state            TEXT NOT NULL,
    stopped          BOOLEAN NOT NULL DEFAULT FALSE,
    spec             JSONB NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    stopped_at       TIMESTAMPTZ,
    end_reason       TEXT NOT NULL DEFAULT '',
    pauses           JSONB NOT NULL DEFAULT '[]',
    chunks           JSONB NOT NULL DEFAULT '[]'
);
CREATE INDEX recordings_live_by_call ON recordings(call_id) WHERE NOT stopped;
CREATE INDEX recordings_by_call ON recordings(call_id, seq);
CREATE INDEX recordings_by_state ON recordings(stopped, state, seq);

-- The outbox: events are written in the same transaction as the change
-- that caused them; one delivery row per target. An event's body is kept
-- as sent (TEXT, not JSONB, which would reformat it).
CREATE TABLE events (
    seq          BIGSERIAL UNIQUE,
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    source       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    time         TIMESTAMPTZ NOT NULL,
    data_version TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL
);
CREATE INDEX events_by_type ON events(type, seq);

-- A claimed delivery's next_attempt_ms is pushed out by its lease; the time
-- it was due before the claim is kept in leased_next_ms. destination is
-- scheme://host of url (callrec.Target's Destination): each has its own
-- concurrency budget.
CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events(id),
    url             TEXT NOT NULL,
    destination     TEXT NOT NULL,
    schema          TEXT NOT NULL,
    subscription    TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    leased_next_ms  BIGINT,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_ms, id);
CREATE INDEX deliveries_by_status ON deliveries(status, id);

-- Event subscriptions: insertEvents fans each event out to the validated
-- subscriptions that match it, one delivery each, in the same transaction.
CREATE TABLE subscriptions (
    name                TEXT PRIMARY KEY,
    url                 TEXT NOT NULL,
    schema              TEXT NOT NULL,
    types               JSONB NOT NULL DEFAULT '[]',
    subject_prefix      TEXT NOT NULL DEFAULT '',
    secret              TEXT NOT NULL DEFAULT '',
    state               TEXT NOT NULL,
    reason              TEXT NOT NULL DEFAULT '',
    validation_token    TEXT NOT NULL DEFAULT '',
    validation_deadline TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE subscriptions;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE recordings;
DROP TABLE participants;
DROP TABLE calls;
