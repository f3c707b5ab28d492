// Command callrec is the callrec server and its client: `callrec serve` runs
// the service; the other commands talk to a running server through the Go
// SDK (callautomation), or work offline (bench).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "callrec",
		Short:         "Self-hosted call recording with an ACS-compatible API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(commands()...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "callrec:", err)
		os.Exit(1)
	}
}

// commands lists the command groups; each lives in its own file.
func commands() []*cobra.Command {
	call := newCallCmd()
	call.AddCommand(newTokenCmd()) // callrec call token --call ID --participant RAWID
	return []*cobra.Command{
		newServeCmd(),
		newConnectionStringCmd(),
		newRecordingCmd(),
		call,
		newSimulateCmd(),
		newEventsCmd(),
		newBenchCmd(),
	}
}
