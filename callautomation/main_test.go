package callautomation_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

// TestMain runs one real callrec node (the same wiring as `callrec serve`,
// SQLite in a temporary directory, HTTP on 127.0.0.1) for the runnable
// examples, and puts its connection string in CALLREC_CONNECTION_STRING,
// where the examples read it as a program would. Tests start their own
// nodes with internal/testserver.
func TestMain(m *testing.M) {
	os.Exit(runWithExampleNode(m))
}

func runWithExampleNode(m *testing.M) int {
	dir, err := os.MkdirTemp("", "callautomation-examples-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := app.Config{DataDir: dir, Addr: ln.Addr().String(), DrainTimeout: 5 * time.Second, ICE: rtcrecv.Config{LoopbackOnly: true}}
	node, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		ln.Close()
		fmt.Fprintln(os.Stderr, "starting the example node:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- node.Serve(ctx, ln) }()
	os.Setenv("CALLREC_CONNECTION_STRING", node.ConnectionString)

	code := m.Run()
	cancel()
	if err := <-done; err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "example node:", err)
		code = 1
	}
	return code
}
