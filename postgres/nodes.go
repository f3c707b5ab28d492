package postgres

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
// first when there is none (the first node's value wins).
func (d *DB) SharedSetting(ctx context.Context, name, candidate string) (string, error) {
	var v string
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			name, candidate); err != nil {
			return internal(err, "storing a setting")
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v); err != nil {
			return internal(err, "reading a setting")
		}
		return nil
	})
	return v, err
}

// Heartbeat registers n or refreshes its row.
func (d *DB) Heartbeat(ctx context.Context, n *callrec.Node) error {
	addrs := n.MediaAddrs
	if addrs == nil {
		addrs = []string{}
	}
	js, _ := json.Marshal(addrs)
	_, err := d.db.ExecContext(ctx, `INSERT INTO nodes (id, url, media_addrs, capacity, load, draining, started_at, heartbeat_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, media_addrs = excluded.media_addrs, capacity = excluded.capacity,
			load = excluded.load, draining = excluded.draining, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
		n.ID, n.URL, string(js), n.Capacity, n.Load, n.Draining, n.StartedAt, n.HeartbeatAt)
	if err != nil {
		return internal(err, "registering the node")
	}
	return nil
}

// Nodes lists the registered nodes with their active calls, by id.
func (d *DB) Nodes(ctx context.Context) ([]callrec.Node, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT n.id, n.url, n.media_addrs, n.capacity, n.load, n.draining, n.started_at,
			n.heartbeat_at, (SELECT count(*) FROM calls c WHERE c.node_id = n.id AND c.state = $1)
		FROM nodes n ORDER BY n.id`, callrec.CallActive)
	if err != nil {
		return nil, internal(err, "listing nodes")
	}
	defer rows.Close()
	out := []callrec.Node{}
	for rows.Next() {
		var n callrec.Node
		var addrs []byte
		if err := rows.Scan(&n.ID, &n.URL, &addrs, &n.Capacity, &n.Load, &n.Draining, &n.StartedAt, &n.HeartbeatAt, &n.Calls); err != nil {
			return nil, internal(err, "listing nodes")
		}
		_ = json.Unmarshal(addrs, &n.MediaAddrs)
		n.StartedAt, n.HeartbeatAt = utc(n.StartedAt), utc(n.HeartbeatAt)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "listing nodes")
	}
	return out, nil
}

// TakeOverCalls moves from's active calls to to, if from's heartbeat is
// older than staleBefore. The node's row is locked for the move, so that
// of several nodes taking over at once one moves the calls and the others
// find none.
func (d *DB) TakeOverCalls(ctx context.Context, from, to string, staleBefore time.Time) ([]string, error) {
	var ids []string
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var beat time.Time
		err := tx.QueryRowContext(ctx, `SELECT heartbeat_at FROM nodes WHERE id = $1 FOR UPDATE`, from).Scan(&beat)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return internal(err, "reading the node")
		}
		if !beat.Before(staleBefore) {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `UPDATE calls SET node_id = $1 WHERE node_id = $2 AND state = $3 RETURNING id`,
			to, from, callrec.CallActive)
		if err != nil {
			return internal(err, "taking over calls")
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return internal(err, "taking over calls")
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}

// RemoveNode removes a node's row.
func (d *DB) RemoveNode(ctx context.Context, id string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM nodes WHERE id = $1`, id); err != nil {
		return internal(err, "removing the node")
	}
	return nil
}
