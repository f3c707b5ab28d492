-- +goose Up
-- Lists filter recordings by state (active, inactive, stopped): without
-- this index, listing the few stopped ones read every recording.
CREATE INDEX recordings_by_state ON recordings(stopped, state);

-- +goose Down
DROP INDEX recordings_by_state;
