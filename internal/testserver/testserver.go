// Package testserver runs a real callrec node in-process for tests: the same
// app wiring as `callrec serve`, real HTTP on 127.0.0.1, a real SQLite file
// in a temporary data directory.
package testserver

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/ingest/rtcrecv"
	"github.com/callrec/callrec/webhook"
)

// Server is a running node.
type Server struct {
	URL              string // http://127.0.0.1:PORT
	MetricsURL       string // the metrics listener, http://127.0.0.1:PORT
	ConnectionString string
	DataDir          string
	App              *app.App

	stop context.CancelFunc
	done chan error
}

// Option changes the node's configuration before it starts.
type Option func(*app.Config)

// WithDataDir runs on an existing data directory (for restart tests).
func WithDataDir(dir string) Option { return func(c *app.Config) { c.DataDir = dir } }

// WithAddr listens on addr (127.0.0.1:PORT): a restart on the same data
// and address keeps the connection string.
func WithAddr(addr string) Option { return func(c *app.Config) { c.Addr = addr } }

// WithConfig edits the configuration directly.
func WithConfig(f func(*app.Config)) Option { return Option(f) }

// FastWebhooks retries deliveries after 50 ms, 100 ms, then every 200 ms.
func FastWebhooks() Option {
	return func(c *app.Config) {
		c.WebhookPolicy = webhook.RetryPolicy{
			Schedule:       []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
			Then:           200 * time.Millisecond,
			Jitter:         -1,
			AttemptTimeout: 2 * time.Second,
		}
		c.WebhookPollInterval = 100 * time.Millisecond
	}
}

// Start runs a node until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	// Tests of audio name no format and expect WAV: they run as an
	// audio-only installation would (--default-format wav); a test of the
	// ACS default (a mixed audioVideo MP4) sets DefaultFormat to "".
	cfg := app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", DrainTimeout: 5 * time.Second,
		ICE: rtcrecv.Config{LoopbackOnly: true}, DefaultFormat: "wav"}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{URL: a.PublicURL, MetricsURL: a.MetricsURL, ConnectionString: a.ConnectionString, DataDir: cfg.DataDir, App: a, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Serve(ctx, ln) }()
	t.Cleanup(s.Stop)
	return s
}

// Stop drains and stops the node; later calls do nothing.
func (s *Server) Stop() {
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	<-s.done
}
