-- +goose Up
-- Several nodes register here; a call lives on the node that hosts its
-- media (empty: a single node). Settings shared by the nodes (the access
-- key) are stored once.
ALTER TABLE calls ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_by_node ON calls(node_id, state);
CREATE TABLE nodes (
    id           TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    media_addrs  JSONB NOT NULL DEFAULT '[]',
    capacity     INTEGER NOT NULL,
    load         INTEGER NOT NULL,
    draining     BOOLEAN NOT NULL DEFAULT FALSE,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE nodes;
DROP INDEX calls_by_node;
ALTER TABLE calls DROP COLUMN node_id;
