-- +goose Up
-- Lists page by rowid (keyset, never OFFSET): the order rows were inserted
-- in. These indexes serve the filters; SQLite keeps rowid in every index
-- entry, so "filter AND rowid > cursor ORDER BY rowid" reads one range.
CREATE INDEX calls_by_state ON calls(state);
CREATE INDEX recordings_by_call ON recordings(call_id);

-- +goose Down
DROP INDEX recordings_by_call;
DROP INDEX calls_by_state;
