package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
)

// The list commands read every page (the SDK follows the server's
// nextLink) and print a table, or with --json one JSON array.

func newCallListCmd(flags *clientFlags) *cobra.Command {
	var state string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--state active|ended] [--json]",
		Short: "List calls, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := callautomation.ListCallsOptions{}
			if state != "" {
				s, ok := callrec.ParseCallState(state)
				if !ok {
					return &usageError{cmd, fmt.Errorf("--state %q: want active or ended", state)}
				}
				opts.State = s
			}
			c, err := flags.client()
			if err != nil {
				return err
			}
			calls := []*callrec.Call{}
			for call, err := range c.Calls().List(opts).All(cmd.Context()) {
				if err != nil {
					return err
				}
				calls = append(calls, call)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), calls)
			}
			return writeTable(cmd.OutOrStdout(), []string{"SERVER CALL ID", "STATE", "CREATED", "ENDED", "PARTICIPANTS"}, len(calls), func(i int) []string {
				call := calls[i]
				present := 0
				for _, p := range call.Participants {
					if p.LeftAt == nil {
						present++
					}
				}
				return []string{call.ServerCallID, string(call.State), formatTime(&call.CreatedAt), formatTime(call.EndedAt),
					fmt.Sprintf("%d (%d present)", len(call.Participants), present)}
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only calls in this state: active or ended")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of calls (serverCallId, state, createdAt, endedAt, participants)")
	completeValues(cmd, "state", "active", "ended")
	return cmd
}

func newRecordingListCmd(flags *clientFlags) *cobra.Command {
	var callID, state string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--call SERVER_CALL_ID] [--state active|inactive|stopped] [--json]",
		Short: "List recordings, stopped ones too, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := callautomation.ListRecordingsOptions{ServerCallID: callID}
			if state != "" {
				s, ok := callrec.ParseListedState(state)
				if !ok {
					return &usageError{cmd, fmt.Errorf("--state %q: want active, inactive or stopped", state)}
				}
				opts.State = callautomation.RecordingState(s)
			}
			c, err := flags.client()
			if err != nil {
				return err
			}
			recs := []callautomation.RecordingSummary{}
			for r, err := range c.CallRecording().List(opts).All(cmd.Context()) {
				if err != nil {
					return err
				}
				recs = append(recs, r)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), recs)
			}
			return writeTable(cmd.OutOrStdout(), []string{"RECORDING ID", "SERVER CALL ID", "STATE", "STARTED", "DURATION", "FILES", "FORMAT"}, len(recs), func(i int) []string {
				r := recs[i]
				duration := "-"
				if r.RecordingDurationMs != nil {
					duration = (time.Duration(*r.RecordingDurationMs) * time.Millisecond).String()
				}
				return []string{r.RecordingID, r.ServerCallID, string(r.RecordingState), formatTime(&r.StartTime), duration,
					fmt.Sprint(r.ChunkCount), string(r.RecordingContentType) + "/" + string(r.RecordingChannelType) + "/" + string(r.RecordingFormatType)}
			})
		},
	}
	cmd.Flags().StringVar(&callID, "call", "", "only the recordings of this call (serverCallId)")
	cmd.Flags().StringVar(&state, "state", "", "only recordings in this state: active, inactive (paused) or stopped")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of recordings (recordingId, serverCallId, recordingState, startTime, …)")
	completeValues(cmd, "state", "active", "inactive", "stopped")
	return cmd
}

// writeTable prints a header and n rows as aligned columns; with no rows
// it prints nothing, so that scripts can test for empty output.
func writeTable(w io.Writer, header []string, n int, row func(i int) []string) error {
	if n == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range n {
		fmt.Fprintln(tw, strings.Join(row(i), "\t"))
	}
	return tw.Flush()
}

// formatTime prints t in UTC to the second, "-" for none.
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// completeValues offers values for a flag's shell completion.
func completeValues(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}
