package benchlive

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Config is one live benchmark run.
type Config struct {
	Calls        int           // calls held at once
	Participants int           // publishers per call
	Hold         time.Duration // the measurement window, once every participant streams
	// Unmixed records one channel per participant instead of a mix.
	Unmixed bool
	// Video makes every participant also send a synthetic VP8 video (its
	// colour, its name, a frame counter, a flash with a beep every 4 s)
	// and records each call as a mixed audioVideo MP4, checked by content
	// (format, tones, each tile's colour, flashes with their beeps). The
	// server is then measured with its child processes.
	Video bool
	// Transport is how participants join: TransportWebRTC (default:
	// Opus over WHIP), TransportSIP (phones: G.711 µ-law RTP after a SIP
	// INVITE to the server's SIP endpoint) or TransportMixed (both in every
	// call, alternating: participant 0 a browser, 1 a phone, 2 a browser, …).
	Transport string
	// ConnectionString targets a running server instead of starting one.
	// Its CPU and memory are then measured only if ServerPID is set.
	ConnectionString string
	ServerPID        int
	// MetricsURL is the metrics listener (http://host:port, the server's
	// --metrics-addr) of the server at ConnectionString, whose ingest
	// counters give loss and decode time. Required with ConnectionString;
	// a started server gets one of its own.
	MetricsURL string
	// SIPAddr is the SIP endpoint (ip:port) of the server at
	// ConnectionString, for TransportSIP and TransportMixed; a started
	// server gets one.
	SIPAddr string
	// Nodes is how many servers are started (default 1): with more, they
	// share the PostgreSQL Database, the calls are created through the
	// first and placed by cost, and the report gives each node's figures.
	Nodes    int
	Database string
	// NodeCapacities, when set (one per node), are the nodes'
	// --node-capacity; else each advertises its default.
	NodeCapacities []int
	// Binary is the callrec executable started as `callrec serve`; empty
	// means this process's own executable.
	Binary string
	// WorkDir holds the child server's data directory and log; empty means
	// a temporary directory, removed afterwards.
	WorkDir string
	// JoinConcurrency is how many participants connect at once (default 10).
	JoinConcurrency int
	// Warmup is how long every participant streams before the window
	// opens (default 2 s).
	Warmup time.Duration
	// FloorRuns is how many times the decode floor is measured; the least
	// counts (default 3).
	FloorRuns int
	// Progress receives one line per phase; nil discards.
	Progress io.Writer
	Logger   *slog.Logger
}

func (c *Config) defaults() error {
	if c.Calls < 1 || c.Participants < 1 || c.Hold <= 0 {
		return errors.New("calls, participants and the hold time must be positive")
	}
	switch c.Transport {
	case "":
		c.Transport = TransportWebRTC
	case TransportWebRTC, TransportSIP, TransportMixed:
	default:
		return fmt.Errorf("transport %q: want %s, %s or %s", c.Transport, TransportWebRTC, TransportSIP, TransportMixed)
	}
	if c.Participants > 40 {
		return fmt.Errorf("%d participants per call: at most 40 (their tones must fit below 8 kHz)", c.Participants)
	}
	if c.Video {
		switch {
		case c.Transport != TransportWebRTC:
			return errors.New("video participants join over WebRTC: give no --transport sip or mixed")
		case c.Unmixed:
			return errors.New("video is recorded mixed (one composite): give no --channel unmixed")
		case c.Participants > maxVideoParticipants:
			return fmt.Errorf("%d participants per call with video: at most %d (one colour each)", c.Participants, maxVideoParticipants)
		}
	}
	if c.Transport != TransportWebRTC && c.Participants > maxPhoneParticipants {
		// Mixed: the last participant of 16 would be a phone at 3.4 kHz.
		return fmt.Errorf("%d participants per call with phones: at most %d (the phones' tones must fit in G.711's band, below 3.4 kHz)", c.Participants, maxPhoneParticipants)
	}
	if c.Transport != TransportWebRTC && c.ConnectionString != "" && c.SIPAddr == "" {
		return errors.New("phones call a running server's SIP endpoint: give its address (serve --sip-addr)")
	}
	if c.Nodes <= 0 {
		c.Nodes = 1
	}
	if c.Nodes > 1 {
		switch {
		case c.ConnectionString != "":
			return errors.New("several nodes are started by the benchmark: give no connection string")
		case !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://"):
			return fmt.Errorf("%d nodes share one PostgreSQL database: give its URL (postgres://…)", c.Nodes)
		}
	}
	if len(c.NodeCapacities) > 0 && len(c.NodeCapacities) != c.Nodes {
		return fmt.Errorf("%d node capacities for %d nodes: give one per node", len(c.NodeCapacities), c.Nodes)
	}
	if c.JoinConcurrency <= 0 {
		c.JoinConcurrency = 10
	}
	if c.Warmup <= 0 {
		c.Warmup = 2 * time.Second
	}
	if c.FloorRuns <= 0 {
		c.FloorRuns = 3
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if c.ConnectionString != "" && c.MetricsURL == "" {
		return errors.New("a running server is measured through its metrics listener: give its URL (serve --metrics-addr)")
	}
	if c.Binary == "" && c.ConnectionString == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the callrec executable: %w", err)
		}
		c.Binary = exe
	}
	return nil
}

// Transports.
const (
	TransportWebRTC = "webrtc"
	TransportSIP    = "sip"
	TransportMixed  = "mixed"
)

// phoneAt says whether the k-th participant of a call is a phone (over
// SIP) rather than a browser (over WebRTC).
func (c *Config) phoneAt(k int) bool {
	switch c.Transport {
	case TransportSIP:
		return true
	case TransportMixed:
		return k%2 == 1
	}
	return false
}

// maxPhoneParticipants keeps phones' tones (400 + 200·k Hz) within the
// telephone band.
const maxPhoneParticipants = 15
