package cluster

import (
	"context"

	"github.com/callrec/callrec"
)

// CodeNoCapacity: every node is full or draining (503, with Retry-After).
const CodeNoCapacity = "NoCapacity"

// Place picks the node for a new call: of the nodes with a fresh heartbeat
// that are not draining, the one of least cost, (load + active calls + 1)
// / capacity, among those below their capacity (a call counts as one
// participant until its participants join); this node on a tie. With none,
// a KindUnavailable NoCapacity error.
func (m *Member) Place(ctx context.Context) (callrec.Node, error) {
	nodes, err := m.cfg.Store.Nodes(ctx)
	if err != nil {
		return callrec.Node{}, err
	}
	m.mu.Lock()
	m.nodes = nodes
	m.mu.Unlock()
	var best callrec.Node
	bestCost, found := 0.0, false
	for _, n := range nodes {
		used := n.Load + n.Calls
		if n.Draining || !m.fresh(n) || n.Capacity <= 0 || used >= n.Capacity {
			continue
		}
		cost := float64(used+1) / float64(n.Capacity)
		if !found || cost < bestCost || (cost == bestCost && n.ID == m.cfg.ID) {
			best, bestCost, found = n, cost, true
		}
	}
	if !found {
		return callrec.Node{}, callrec.Errorf(callrec.KindUnavailable, CodeNoCapacity,
			"every node is full or draining (%d registered); retry later", len(nodes))
	}
	return best, nil
}
