-- +goose Up
CREATE TABLE calls (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_at   TEXT
);

CREATE TABLE participants (
    call_id   TEXT NOT NULL REFERENCES calls(id),
    raw_id    TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    left_at   TEXT,
    PRIMARY KEY (call_id, raw_id)
);

CREATE TABLE recordings (
    id               TEXT PRIMARY KEY,
    call_id          TEXT NOT NULL REFERENCES calls(id),
    repeatability_id TEXT UNIQUE,
    state            TEXT NOT NULL,
    stopped          INTEGER NOT NULL DEFAULT 0,
    spec             TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    stopped_at       TEXT,
    end_reason       TEXT NOT NULL DEFAULT '',
    pauses           TEXT NOT NULL DEFAULT '[]',
    chunks           TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX recordings_live_by_call ON recordings(call_id) WHERE stopped = 0;

-- The outbox: events are written in the same transaction as the change
-- that caused them; one delivery row per target.
CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    source       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    time         TEXT NOT NULL,
    data_version TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL REFERENCES events(id),
    url             TEXT NOT NULL,
    schema          TEXT NOT NULL,
    subscription    TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_ms);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE recordings;
DROP TABLE participants;
DROP TABLE calls;
