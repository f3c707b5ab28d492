-- +goose Up
-- Each destination (scheme://host of the target URL, callrec.Target's
-- Destination) has its own concurrency budget: a claim skips the
-- destinations whose budget is spent. Rows from before this column get it
-- when a claim first reads them.
ALTER TABLE deliveries ADD COLUMN destination TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE deliveries DROP COLUMN destination;
