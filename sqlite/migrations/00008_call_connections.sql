-- +goose Up
-- Call Automation call connections (answerCall, createCall): the document
-- is the callrec.CallConnection as JSON; the columns are what reads select
-- by.
CREATE TABLE call_connections (
    id         TEXT PRIMARY KEY,
    call_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX call_connections_by_call ON call_connections(call_id, created_at);

-- +goose Down
DROP TABLE call_connections;
