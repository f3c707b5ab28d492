package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/callrec/callrec"
)

var _ callrec.NodeStore = (*DB)(nil)

// SharedSetting returns the value stored under name, storing candidate
// first when there is none.
func (d *DB) SharedSetting(ctx context.Context, name, candidate string) (string, error) {
	var v string
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, candidate); err != nil {
			return callrec.Internal(err, "storing a setting")
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v); err != nil {
			return callrec.Internal(err, "reading a setting")
		}
		return nil
	})
	return v, err
}

// Heartbeat registers n or refreshes its row.
func (d *DB) Heartbeat(ctx context.Context, n *callrec.Node) error {
	addrs, _ := json.Marshal(nonNil(n.MediaAddrs))
	_, err := d.db.ExecContext(ctx, `INSERT INTO nodes (id, url, media_addrs, capacity, load, draining, started_at, heartbeat_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, media_addrs = excluded.media_addrs, capacity = excluded.capacity,
			load = excluded.load, draining = excluded.draining, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
		n.ID, n.URL, string(addrs), n.Capacity, n.Load, n.Draining, formatTime(n.StartedAt), formatTime(n.HeartbeatAt))
	if err != nil {
		return storageError(err, callrec.Internal(err, "registering the node"))
	}
	return nil
}

// Nodes lists the registered nodes with their active calls, by id.
func (d *DB) Nodes(ctx context.Context) ([]callrec.Node, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT n.id, n.url, n.media_addrs, n.capacity, n.load, n.draining, n.started_at,
			n.heartbeat_at, (SELECT count(*) FROM calls c WHERE c.node_id = n.id AND c.state = ?)
		FROM nodes n ORDER BY n.id`, callrec.CallActive)
	if err != nil {
		return nil, storageError(err, callrec.Internal(err, "listing nodes"))
	}
	defer rows.Close()
	out := []callrec.Node{}
	for rows.Next() {
		var n callrec.Node
		var addrs, started, beat string
		if err := rows.Scan(&n.ID, &n.URL, &addrs, &n.Capacity, &n.Load, &n.Draining, &started, &beat, &n.Calls); err != nil {
			return nil, callrec.Internal(err, "listing nodes")
		}
		_ = json.Unmarshal([]byte(addrs), &n.MediaAddrs)
		n.StartedAt, n.HeartbeatAt = parseTime(started), parseTime(beat)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, storageError(err, callrec.Internal(err, "listing nodes"))
	}
	return out, nil
}

// TakeOverCalls moves from's active calls to to, if from's heartbeat is
// older than staleBefore.
func (d *DB) TakeOverCalls(ctx context.Context, from, to string, staleBefore time.Time) ([]string, error) {
	var ids []string
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var beat string
		err := tx.QueryRowContext(ctx, `SELECT heartbeat_at FROM nodes WHERE id = ?`, from).Scan(&beat)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return callrec.Internal(err, "reading the node")
		}
		if !parseTime(beat).Before(staleBefore) {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `UPDATE calls SET node_id = ? WHERE node_id = ? AND state = ? RETURNING id`,
			to, from, callrec.CallActive)
		if err != nil {
			return callrec.Internal(err, "taking over calls")
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return callrec.Internal(err, "taking over calls")
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}

// RemoveNode removes a node's row.
func (d *DB) RemoveNode(ctx context.Context, id string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM nodes WHERE id = ?`, id); err != nil {
		return storageError(err, callrec.Internal(err, "removing the node"))
	}
	return nil
}
