-- +goose Up
-- Call Automation call connections (answerCall, createCall): the document
-- is the callrec.CallConnection as JSON; the columns are what reads select
-- by.
CREATE TABLE call_connections (
    seq        BIGSERIAL UNIQUE,
    id         TEXT PRIMARY KEY,
    call_id    TEXT NOT NULL,
    doc        JSONB NOT NULL
);
CREATE INDEX call_connections_by_call ON call_connections(call_id, seq);

-- +goose Down
DROP TABLE call_connections;
