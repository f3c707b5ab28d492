-- +goose Up
-- A claimed delivery's next_attempt_ms is pushed out by its lease; the
-- time it was due before the claim is kept here, so that a process that
-- restarts after dying mid-attempt can release its own leases at once
-- instead of waiting them out.
ALTER TABLE deliveries ADD COLUMN leased_next_ms INTEGER;

-- +goose Down
ALTER TABLE deliveries DROP COLUMN leased_next_ms;
