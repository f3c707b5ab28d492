package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/cluster"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/atomicfile"
	"github.com/callrec/callrec/service"
)

// ParticipantsPerCPU is a node's default capacity per CPU: docs/BENCHMARKS.md
// measures 0.17–0.25 CPU-seconds per participant-minute (audio, mixed or
// unmixed), so one CPU carries about 240 participants flat out; 150 keeps
// a third of it for bursts, the database and the HTTP API.
const ParticipantsPerCPU = 150

// DefaultCapacity is a node's capacity without --node-capacity.
func DefaultCapacity() int { return runtime.GOMAXPROCS(0) * ParticipantsPerCPU }

const (
	nodeIDFile          = "node-id"
	sharedAccessKeyName = "access-key"
)

// clustered reports whether the node shares its database with others (a
// PostgreSQL database): it then registers itself, routes work to the
// node of each call and takes over the calls of lost nodes.
func (c Config) clustered() bool { return IsPostgresURL(c.Database) }

// accessKey returns the node's access key: the one in
// Config.AccessKeyFile, as it is; else, on a shared database, the key
// stored there (the first node stores its own, from DATA/access-key,
// generated on first start), kept in DATA/access-key for `callrec
// connection-string`; else DATA/access-key.
func (a *App) accessKey(ctx context.Context) (string, error) {
	cfg := a.cfg
	if cfg.AccessKeyFile != "" {
		b, err := os.ReadFile(cfg.AccessKeyFile)
		if err != nil {
			return "", fmt.Errorf("--access-key-file: %w", err)
		}
		key := strings.TrimSpace(string(b))
		if _, err := hmacauth.DecodeKey(key); err != nil || key == "" {
			return "", fmt.Errorf("--access-key-file %s: not a base64 key", cfg.AccessKeyFile)
		}
		return key, nil
	}
	key, created, err := LoadOrCreateAccessKey(cfg.DataDir)
	if err != nil {
		return "", err
	}
	a.dataDir.keyCreated = created
	if !cfg.clustered() {
		if created {
			a.log.Info("generated a new access key", "file", filepath.Join(cfg.DataDir, accessKeyFile))
		}
		return key, nil
	}
	shared, err := a.DB.SharedSetting(ctx, sharedAccessKeyName, key)
	if err != nil {
		return "", fmt.Errorf("reading the shared access key: %w", err)
	}
	if shared == key {
		if created {
			a.log.Info("generated the access key the nodes share", "file", filepath.Join(cfg.DataDir, accessKeyFile))
		}
		return key, nil
	}
	if !created {
		a.log.Warn("the data directory's access key differs from the one the nodes share: using the shared one",
			"file", filepath.Join(cfg.DataDir, accessKeyFile))
	}
	if err := atomicfile.Write(filepath.Join(cfg.DataDir, accessKeyFile), []byte(shared+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing access key: %w", err)
	}
	return shared, nil
}

// loadNodeID returns the node's id, kept in DATA/node-id (made on first
// start), so that a node restarted on its data directory is the same node
// and takes up its calls.
func loadNodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, nodeIDFile)
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading the node id: %w", err)
	}
	raw := make([]byte, 8)
	rand.Read(raw)
	id := hex.EncodeToString(raw)
	if err := atomicfile.Write(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing the node id: %w", err)
	}
	return id, nil
}

// newMember makes this node's member of the shared registry
// (registerNode registers it).
func (a *App) newMember(rawKey []byte) {
	id := a.nodeID
	url := strings.TrimRight(a.cfg.NodeURL, "/")
	if url == "" {
		url = a.PublicURL
	}
	capacity := a.cfg.NodeCapacity
	if capacity <= 0 {
		capacity = DefaultCapacity()
	}
	a.Member = cluster.New(cluster.Config{
		Store:    a.DB,
		ID:       id,
		URL:      url,
		Capacity: capacity,
		Load:     a.Hub.Load,
		Lease:    a.cfg.NodeLease,
		Key:      rawKey,
		TakeOver: func(ctx context.Context, callID string) error {
			return a.Service.EndLostCall(ctx, callID, callrec.EndReasonNodeLost)
		},
		Fence:  a.fence,
		Logger: a.log.With("component", "cluster", "node", id),
	})
}

// registerNode registers the node with its media addresses: its SIP
// address (the public one, else the one it listens on) as sip:host:port,
// and its WebRTC public IPs.
func (a *App) registerNode(ctx context.Context) error {
	var media []string
	if a.SIP != nil {
		addr := a.SIP.Addr().String()
		if pub := a.cfg.SIPPublicAddr; pub != "" {
			if _, _, err := net.SplitHostPort(pub); err != nil {
				pub = net.JoinHostPort(pub, strconv.Itoa(int(a.SIP.Addr().Port())))
			}
			addr = pub
		}
		media = append(media, "sip:"+addr)
	}
	a.Member.SetMediaAddrs(append(media, a.cfg.ICE.PublicIPs...))
	if err := a.Member.Register(ctx); err != nil {
		return fmt.Errorf("registering the node: %w", err)
	}
	a.log.Info("node registered", "node", a.Member.ID(), "url", a.Member.URL(), "media", media)
	return nil
}

// fence finishes the recordings this node still records whose calls
// another node took over (this node's heartbeats did not reach the
// database for a lease, the database did): their files are finalized here,
// with their file event, and their participants hung up.
func (a *App) fence(ctx context.Context) {
	for _, id := range a.Engine.Live() {
		if err := a.Service.FinishTakenOver(ctx, id); err != nil {
			a.log.Warn("finishing a recording taken over by another node", "recordingId", id, "err", err)
		}
	}
}

// drainCalls waits, once the node takes no new calls, until its calls have
// ended or Config.DrainCallsTimeout has passed; calls still on then go on
// after a restart on the same data directory, or end on another node when
// the lease expires.
func (a *App) drainCalls(ctx context.Context) {
	if a.Member == nil {
		return
	}
	a.Member.Drain(ctx)
	if a.cfg.DrainCallsTimeout <= 0 {
		return
	}
	deadline := time.Now().Add(a.cfg.DrainCallsTimeout)
	for {
		n, err := a.ownActiveCalls(ctx)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			a.log.Warn("drain: calls still on at the deadline", "calls", n, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (a *App) ownActiveCalls(ctx context.Context) (int, error) {
	nodes, err := a.DB.Nodes(ctx)
	if err != nil {
		return 0, err
	}
	for _, n := range nodes {
		if n.ID == a.Member.ID() {
			return n.Calls, nil
		}
	}
	return 0, nil
}

// clusterConnections is the node's Call Automation when it shares its
// database: answer, reject and redirect are carried out by the node that
// holds the ringing call; hang-up and the participants' operations by the
// node that hosts the connection's call; createCall here (the call is
// created and dialled from this node).
type clusterConnections struct {
	*service.Service
	incoming    *cluster.Incoming
	connections *cluster.Connections
}

func (c clusterConnections) AnswerCall(ctx context.Context, a callrec.AnswerCall) (*callrec.CallConnection, error) {
	return c.incoming.AnswerCall(ctx, a)
}

func (c clusterConnections) RejectCall(ctx context.Context, incomingCallContext, reason string) error {
	return c.incoming.RejectCall(ctx, incomingCallContext, reason)
}

func (c clusterConnections) RedirectCall(ctx context.Context, incomingCallContext, target string) error {
	return c.incoming.RedirectCall(ctx, incomingCallContext, target)
}

func (c clusterConnections) CallConnection(ctx context.Context, id string) (*callrec.CallConnection, error) {
	return c.connections.CallConnection(ctx, id)
}

func (c clusterConnections) HangUp(ctx context.Context, id string, forEveryone bool) error {
	return c.connections.HangUp(ctx, id, forEveryone)
}

func (c clusterConnections) Participants(ctx context.Context, id string) ([]callrec.CallParticipant, error) {
	return c.connections.Participants(ctx, id)
}

func (c clusterConnections) Participant(ctx context.Context, id, rawID string) (*callrec.CallParticipant, error) {
	return c.connections.Participant(ctx, id, rawID)
}

func (c clusterConnections) AddParticipant(ctx context.Context, id string, cc callrec.CreateCall, callbackURI string) (string, error) {
	return c.connections.AddParticipant(ctx, id, cc, callbackURI)
}

func (c clusterConnections) RemoveParticipant(ctx context.Context, id, rawID, operationContext, callbackURI string) error {
	return c.connections.RemoveParticipant(ctx, id, rawID, operationContext, callbackURI)
}

func (c clusterConnections) MuteParticipant(ctx context.Context, id, rawID string) error {
	return c.connections.MuteParticipant(ctx, id, rawID)
}
