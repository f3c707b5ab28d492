package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// newCallCmd is `callrec call`: create, show and end calls hosted by a
// callrec server.
func newCallCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "call",
		Short: "Create, list, show and end calls on a callrec server; answer, reject, redirect and hang up calls that ring",
	}
	flags := addClientFlags(cmd)

	var id string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a call and print its serverCallId",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			call, err := c.Calls().Create(cmd.Context(), id)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), call.ServerCallID)
			return err
		},
	}
	create.Flags().StringVar(&id, "id", "", "serverCallId to give the call (default: the server mints one)")

	show := &cobra.Command{
		Use:   "show SERVER_CALL_ID",
		Short: "Print a call with its participants and recordings as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			call, err := c.Calls().Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), call)
		},
	}

	end := &cobra.Command{
		Use:   "end SERVER_CALL_ID",
		Short: "End a call; its recordings stop",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			return c.Calls().End(cmd.Context(), args[0])
		},
	}

	cmd.AddCommand(create, show, end, newCallListCmd(flags))
	cmd.AddCommand(newCallConnectionCmds(flags)...)
	return cmd
}

// printJSON writes v as indented JSON and a newline.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
