package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec/callautomation"
)

// newCallConnectionCmds are the Call Automation commands of `callrec call`:
// answer, reject or redirect a call that rings (the IncomingCall event's
// incomingCallContext), and hang up or list the participants of a call
// connection.
func newCallConnectionCmds(flags *clientFlags) []*cobra.Command {
	var callback, operationContext string
	answer := &cobra.Command{
		Use:   "answer INCOMING_CALL_CONTEXT",
		Short: "Answer a call that rings; print its call connection (callConnectionId, serverCallId) as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			p, err := c.AnswerCall(cmd.Context(), args[0], callback, &callautomation.AnswerCallOptions{OperationContext: operationContext})
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), propertiesJSON(p))
		},
	}
	answer.Flags().StringVar(&callback, "callback", "", "URL that receives the connection's events (CallConnected, …); required")
	answer.Flags().StringVar(&operationContext, "operation-context", "", "echoed in CallConnected")
	_ = answer.MarkFlagRequired("callback")

	var reason string
	reject := &cobra.Command{
		Use:   "reject INCOMING_CALL_CONTEXT",
		Short: "Reject a call that rings (SIP 603, 486 with --reason busy, 403 with forbidden)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			return c.RejectCall(cmd.Context(), args[0], reason)
		},
	}
	reject.Flags().StringVar(&reason, "reason", "none", "none, busy or forbidden")

	redirect := &cobra.Command{
		Use:   "redirect INCOMING_CALL_CONTEXT TARGET",
		Short: "Redirect a call that rings (SIP 302) to a phone number (+E164) or a SIP URI (sip:user@host)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			var target callautomation.CommunicationIdentifier = callautomation.UnknownIdentifier{ID: args[1]}
			if strings.HasPrefix(args[1], "+") {
				target = callautomation.PhoneNumberIdentifier{PhoneNumber: args[1]}
			}
			return c.RedirectCall(cmd.Context(), args[0], target)
		},
	}

	var forEveryone bool
	hangup := &cobra.Command{
		Use:   "hangup CALL_CONNECTION_ID",
		Short: "Hang up a call connection (--for-everyone ends the call and stops its recordings)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			return c.CallConnection(args[0]).HangUp(cmd.Context(), forEveryone)
		},
	}
	hangup.Flags().BoolVar(&forEveryone, "for-everyone", false, "end the call for every participant")

	participants := &cobra.Command{
		Use:   "participants CALL_CONNECTION_ID",
		Short: "Print the participants of a call connection's call, one raw id a line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			list, err := c.CallConnection(args[0]).ListParticipants(cmd.Context())
			if err != nil {
				return err
			}
			for _, p := range list {
				line := p.Identifier.RawID()
				if p.IsMuted {
					line += "\tmuted"
				}
				if _, err := fmt.Fprintln(cmd.OutOrStdout(), line); err != nil {
					return err
				}
			}
			return nil
		},
	}

	connection := &cobra.Command{
		Use:   "connection CALL_CONNECTION_ID",
		Short: "Print a call connection's properties as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			p, err := c.CallConnection(args[0]).Properties(cmd.Context())
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), propertiesJSON(p))
		},
	}
	return []*cobra.Command{answer, reject, redirect, hangup, participants, connection}
}

// propertiesJSON is what the commands print of a call connection.
func propertiesJSON(p *callautomation.CallConnectionProperties) map[string]any {
	out := map[string]any{"callConnectionId": p.CallConnectionID, "serverCallId": p.ServerCallID,
		"callConnectionState": p.State, "callbackUri": p.CallbackURL, "correlationId": p.CorrelationID}
	if p.Source != nil {
		out["source"] = p.Source.RawID()
	}
	if p.AnsweredFor != "" {
		out["answeredFor"] = p.AnsweredFor
	}
	return out
}
