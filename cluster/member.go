package cluster

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec"
)

// DefaultLease is how long a node keeps its calls without a heartbeat.
const DefaultLease = 30 * time.Second

// Store is what a Member needs of the shared database.
type Store interface {
	callrec.NodeStore
	Call(ctx context.Context, id string) (*callrec.Call, error)
}

// Config wires a Member.
type Config struct {
	Store Store
	// ID names this node; URL is its own base URL (redirects, internal
	// requests); MediaAddrs are its media addresses, for operators.
	ID, URL    string
	MediaAddrs []string
	// Capacity is how many participants the node can host; Load says how
	// many it hosts now.
	Capacity int
	Load     func() int
	// Lease is how long the node keeps its calls without a heartbeat
	// [DefaultLease]; it heartbeats every Lease/3.
	Lease time.Duration
	// Key is the shared access key: internal requests are signed with it.
	Key []byte
	// Client sends internal requests [a client with a 30 s timeout].
	Client *http.Client
	// TakeOver ends calls moved to this node from a lost one.
	TakeOver func(ctx context.Context, callID string) error
	// Fence runs after each heartbeat that reached the database: it
	// finishes what this node still records of calls another node took
	// over while this one was cut off.
	Fence  func(ctx context.Context)
	Now    func() time.Time
	Logger *slog.Logger
}

// Member is this node in the shared registry.
type Member struct {
	cfg       Config
	log       *slog.Logger
	started   time.Time
	draining  atomic.Bool
	mu        sync.Mutex
	nodes     []callrec.Node // as last read
	connected time.Time      // first heartbeat of the current run of successful ones; zero after a failure
}

// New returns a Member; Run registers it.
func New(cfg Config) *Member {
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Load == nil {
		cfg.Load = func() int { return 0 }
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Member{cfg: cfg, log: cfg.Logger, started: cfg.Now().UTC()}
}

// ID returns the node's id.
func (m *Member) ID() string { return m.cfg.ID }

// URL returns the node's own base URL.
func (m *Member) URL() string { return m.cfg.URL }

// SetMediaAddrs sets the media addresses the node registers (before
// Register).
func (m *Member) SetMediaAddrs(addrs []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.MediaAddrs = addrs
}

// Register heartbeats once: call it at startup, before serving, so that
// the other nodes know this one before it takes calls.
func (m *Member) Register(ctx context.Context) error {
	return m.heartbeat(ctx)
}

// Run heartbeats every Lease/3 and takes over the calls of lost nodes,
// until ctx is done.
func (m *Member) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := m.heartbeat(ctx); err != nil {
			if ctx.Err() == nil {
				m.log.Warn("node heartbeat failed", "err", err)
			}
			continue
		}
		if m.cfg.Fence != nil {
			m.cfg.Fence(ctx)
		}
		m.takeOverLost(ctx)
	}
}

// Drain marks the node draining: from its next heartbeat (sent now) no new
// call is placed on it.
func (m *Member) Drain(ctx context.Context) {
	m.draining.Store(true)
	if err := m.heartbeat(ctx); err != nil {
		m.log.Warn("cannot tell the other nodes this one is draining", "err", err)
	}
}

func (m *Member) heartbeat(ctx context.Context) error {
	now := m.cfg.Now().UTC()
	m.mu.Lock()
	media := m.cfg.MediaAddrs
	m.mu.Unlock()
	n := callrec.Node{ID: m.cfg.ID, URL: m.cfg.URL, MediaAddrs: media, Capacity: m.cfg.Capacity,
		Load: m.cfg.Load(), Draining: m.draining.Load(), StartedAt: m.started, HeartbeatAt: now}
	err := m.cfg.Store.Heartbeat(ctx, &n)
	var nodes []callrec.Node
	if err == nil {
		nodes, err = m.cfg.Store.Nodes(ctx)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.connected = time.Time{}
		return err
	}
	if m.connected.IsZero() {
		m.connected = now
	}
	m.nodes = nodes
	return nil
}

// takeOverLost moves here the calls of every node whose heartbeat is older
// than the lease, and ends them. It does nothing until this node's own
// heartbeats have succeeded for a whole lease.
func (m *Member) takeOverLost(ctx context.Context) {
	now := m.cfg.Now().UTC()
	m.mu.Lock()
	connected, nodes := m.connected, m.nodes
	m.mu.Unlock()
	if connected.IsZero() || now.Sub(connected) < m.cfg.Lease {
		return
	}
	stale := now.Add(-m.cfg.Lease)
	for _, n := range nodes {
		if n.ID == m.cfg.ID || n.Calls == 0 || !n.HeartbeatAt.Before(stale) {
			continue
		}
		ids, err := m.cfg.Store.TakeOverCalls(ctx, n.ID, m.cfg.ID, stale)
		if err != nil {
			m.log.Warn("taking over the calls of a lost node", "node", n.ID, "err", err)
			continue
		}
		if len(ids) == 0 {
			continue
		}
		m.log.Warn("took over the calls of a lost node", "node", n.ID, "lastHeartbeat", n.HeartbeatAt, "calls", len(ids))
		for _, id := range ids {
			if m.cfg.TakeOver == nil {
				continue
			}
			if err := m.cfg.TakeOver(ctx, id); err != nil {
				// The call is this node's now: its next start (or an
				// operator's call end) finishes it.
				m.log.Error("ending a call of a lost node", "serverCallId", id, "node", n.ID, "err", err)
			}
		}
	}
}

// Nodes returns the registry as last read, by id.
func (m *Member) Nodes() []callrec.Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.nodes)
}

// node returns the registered node id, reading the registry again when it
// is not known yet.
func (m *Member) node(ctx context.Context, id string) (callrec.Node, bool) {
	if n, ok := m.find(id); ok {
		return n, true
	}
	return m.reread(ctx, id)
}

// reread reads the registry again (keeping the last one read when the
// database does not answer) and returns the registered node id.
func (m *Member) reread(ctx context.Context, id string) (callrec.Node, bool) {
	if nodes, err := m.cfg.Store.Nodes(ctx); err == nil {
		m.mu.Lock()
		m.nodes = nodes
		m.mu.Unlock()
	}
	return m.find(id)
}

// find returns node id from the registry as last read.
func (m *Member) find(id string) (callrec.Node, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.nodes {
		if n.ID == id {
			return n, true
		}
	}
	return callrec.Node{}, false
}

// fresh reports whether n renewed its heartbeat within the lease.
func (m *Member) fresh(n callrec.Node) bool {
	return m.cfg.Now().Sub(n.HeartbeatAt) < m.cfg.Lease
}

// owner returns the node that hosts callID's media when that is another
// node; ok is false when the call is this node's, has no node, or cannot
// be read (the caller then handles it itself and reports what is wrong).
func (m *Member) owner(ctx context.Context, callID string) (n callrec.Node, ok bool) {
	c, err := m.cfg.Store.Call(ctx, callID)
	if err != nil || c.Node == "" || c.Node == m.cfg.ID {
		return callrec.Node{}, false
	}
	n, known := m.node(ctx, c.Node)
	if !known {
		return callrec.Node{}, false
	}
	return n, true
}
