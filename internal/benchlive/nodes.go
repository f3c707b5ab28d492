package benchlive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec/postgres"
)

// benchNode is one server of the run: a started child (srv set) or the
// running server the run targets.
type benchNode struct {
	srv        *childServer // nil for a running server
	id         string       // its node id (several nodes), else ""
	endpoint   string       // base URL
	connStr    string
	pid        int // 0: not measured
	metricsURL string
	sipAddr    string
}

// NodeResult is what one node of a run of several did.
type NodeResult struct {
	ID string
	// Capacity is the capacity the node advertised in the registry (its
	// --node-capacity, by default 150 participants per CPU); Load the
	// participants it said it hosted in the window.
	Capacity, Load int
	Calls          int           // calls placed on it
	Participants   int           // participants that joined its calls
	CPU            time.Duration // its process's CPU in the window
	// CPUPerParticipantMin is its CPU per recorded participant-minute.
	CPUPerParticipantMin time.Duration
	Recordings, Intact   int
}

// startNodes starts cfg.Nodes servers in work (one, in work itself; or
// several, in work/node-N, on cfg.Database with --node-capacity from
// cfg.NodeCapacities), each with args and, for phones, a SIP address of
// its own.
func startNodes(ctx context.Context, cfg Config, work string, args []string) ([]*benchNode, error) {
	var nodes []*benchNode
	stopAll := func() {
		for _, n := range nodes {
			n.srv.stop()
		}
	}
	for i := range cfg.Nodes {
		dir, nodeArgs := work, append([]string(nil), args...)
		if cfg.Nodes > 1 {
			dir = filepath.Join(work, "node-"+strconv.Itoa(i))
			if err := os.MkdirAll(dir, 0o750); err != nil {
				stopAll()
				return nil, err
			}
			nodeArgs = append(nodeArgs, "--database", cfg.Database)
			if len(cfg.NodeCapacities) > 0 {
				nodeArgs = append(nodeArgs, "--node-capacity", strconv.Itoa(cfg.NodeCapacities[i]))
			}
		}
		n := &benchNode{}
		if cfg.Transport != TransportWebRTC { // phones call in
			port, err := freePort()
			if err != nil {
				stopAll()
				return nil, err
			}
			n.sipAddr = "127.0.0.1:" + strconv.Itoa(port)
			// Each node its own RTP ports: they share the machine.
			first := 20000 + i*(10000/cfg.Nodes)
			nodeArgs = append(nodeArgs, "--sip-addr", n.sipAddr, "--sip-rtp-ports",
				fmt.Sprintf("%d-%d", first, first+10000/cfg.Nodes-1))
		}
		srv, err := startServer(ctx, cfg.Binary, dir, nodeArgs)
		if err != nil {
			stopAll()
			return nil, err
		}
		n.srv, n.connStr, n.pid, n.metricsURL = srv, srv.connectionString, srv.pid(), srv.metricsURL
		if cfg.Nodes > 1 {
			b, err := os.ReadFile(filepath.Join(dir, "data", "node-id"))
			if err != nil {
				nodes = append(nodes, n)
				stopAll()
				return nil, fmt.Errorf("node %d's id: %w", i, err)
			}
			n.id = strings.TrimSpace(string(b))
		}
		nodes = append(nodes, n)
		fmt.Fprintf(cfg.Progress, "server %d: pid %d, %s\n", i, n.pid, srv.cmd.Args[len(srv.cmd.Args)-len(nodeArgs)-1:])
	}
	return nodes, nil
}

// nodeIndex returns the index of the node with id, or 0.
func nodeIndex(nodes []*benchNode, id string) int {
	for i, n := range nodes {
		if n.id == id {
			return i
		}
	}
	return 0
}

// readRegistry fills each node's advertised capacity and load from the
// shared database's registry.
func readRegistry(ctx context.Context, dsn string, nodes []*benchNode, out []NodeResult) error {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	reg, err := db.Nodes(ctx)
	if err != nil {
		return err
	}
	for _, r := range reg {
		for i, n := range nodes {
			if n.id == r.ID {
				out[i].Capacity, out[i].Load = r.Capacity, r.Load
			}
		}
	}
	return nil
}

// scrapeNodes sums the ingest counters of every node.
func scrapeNodes(ctx context.Context, client *http.Client, nodes []*benchNode) (ingestCounters, error) {
	var sum ingestCounters
	for _, n := range nodes {
		c, err := scrapeIngest(ctx, client, n.metricsURL)
		if err != nil {
			return sum, err
		}
		sum = sum.plus(c)
	}
	return sum, nil
}

// rssOf sums the resident memory of the measured nodes (of their process
// trees, if tree).
func rssOf(nodes []*benchNode, tree bool) (int64, error) {
	rssOf := procRSS
	if tree {
		rssOf = procTreeRSS
	}
	var sum int64
	for _, n := range nodes {
		if n.pid == 0 {
			continue
		}
		rss, err := rssOf(n.pid)
		if err != nil {
			return 0, err
		}
		sum += rss
	}
	return sum, nil
}

// reportNodes writes one line per node of a run of several.
func (r *Result) reportNodes(w io.Writer) {
	for _, n := range r.Nodes {
		fmt.Fprintf(w, "node %s: capacity %d (advertised), load %d in the window; %d calls placed, %d participants; cpu %.3f CPU-s, %.4f s per participant-minute; recordings %d of %d intact\n",
			n.ID, n.Capacity, n.Load, n.Calls, n.Participants, n.CPU.Seconds(), n.CPUPerParticipantMin.Seconds(), n.Intact, n.Recordings)
	}
}
