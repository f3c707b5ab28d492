// Command callrec is the callrec server and its client: `callrec serve` runs
// the service; the other commands talk to a running server through the Go
// SDK (callautomation), or work without one (bench; migrate, which applies the
// state database's migrations as serve does at start).
//
// Exit status: 0 on success, 1 when a command fails, 2 when it is used
// wrongly (an unknown command or flag, a missing or extra argument).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

func main() {
	root := newRootCmd()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "callrec:", err)
		var usage *usageError
		if errors.As(err, &usage) {
			fmt.Fprintf(os.Stderr, "Run '%s --help' for usage.\n", usage.cmd.CommandPath())
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// newRootCmd is the whole command tree, as main runs it.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "callrec",
		Short:         "Self-hosted call recording with an ACS-compatible API",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("callrec {{.Version}}\n")
	root.AddCommand(commands()...)
	strictUsage(root)
	return root
}

// commands lists the command groups; each lives in its own file.
func commands() []*cobra.Command {
	call := newCallCmd()
	call.AddCommand(newTokenCmd()) // callrec call token --call ID --participant RAWID
	return []*cobra.Command{
		newServeCmd(),
		newMigrateCmd(),
		newConnectionStringCmd(),
		newRecordingCmd(),
		call,
		newSimulateCmd(),
		newEventsCmd(),
		newBenchCmd(),
	}
}
