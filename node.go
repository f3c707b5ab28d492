package callrec

import (
	"context"
	"time"
)

// Node is one `callrec serve` process of a deployment whose nodes share one
// database, as it registers itself there. A call lives on one node (the one
// hosting its media, Call.Node); the node keeps its calls by renewing its
// heartbeat, and a node whose heartbeat is older than the lease loses them
// to a live node (NodeStore.TakeOverCalls).
type Node struct {
	ID string `json:"id"`
	// URL is the node's own base URL: where joins of its calls are
	// redirected and where other nodes send it recording control.
	URL string `json:"url"`
	// MediaAddrs are the addresses its media (WebRTC, SIP) listens on.
	MediaAddrs []string `json:"mediaAddrs,omitempty"`
	// Capacity is how many participants it can host; Load how many it
	// hosts now.
	Capacity int `json:"capacity"`
	Load     int `json:"load"`
	// Draining: it takes no new calls (SIGTERM).
	Draining    bool      `json:"draining"`
	StartedAt   time.Time `json:"startedAt"`
	HeartbeatAt time.Time `json:"heartbeatAt"`
	// Calls counts its active calls (read from the calls table).
	Calls int `json:"calls"`
}

// NodeStore is the shared registry of nodes and the settings they share.
type NodeStore interface {
	// SharedSetting returns the value stored under name, storing candidate
	// first when there is none: the first node's value wins.
	SharedSetting(ctx context.Context, name, candidate string) (string, error)
	// Heartbeat registers n or refreshes its row (every field but Calls).
	Heartbeat(ctx context.Context, n *Node) error
	// Nodes lists the registered nodes, each with its count of active
	// calls, by id.
	Nodes(ctx context.Context) ([]Node, error)
	// TakeOverCalls moves the active calls of node from to node to, in one
	// transaction and only if from's heartbeat is older than staleBefore;
	// it returns the ids of the calls moved (none when from is alive, or
	// another node took them first).
	TakeOverCalls(ctx context.Context, from, to string, staleBefore time.Time) ([]string, error)
	// RemoveNode removes a node's row (its calls keep their node id).
	RemoveNode(ctx context.Context, id string) error
}
