package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/jointoken"
)

// newTokenCmd is `callrec token`: mint a join token for one participant of
// one call, from the connection string's access key (the server
// derives the same token key from it) once the server says the call goes
// on, and print it with the join page URL.
func newTokenCmd() *cobra.Command {
	var callID, participant string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "token --call ID --participant RAWID",
		Short: "Mint a join token that lets one participant publish media to one call",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs, err := parseConnectionString(cmd)
			if err != nil {
				return err
			}
			if callID == "" {
				return errors.New("--call is required")
			}
			if err := jointoken.ValidateRawID(participant); err != nil {
				return err
			}
			if err := checkCallActive(cmd, cs, callID); err != nil {
				return err
			}
			token, expiry := jointoken.Mint(cs.Key, callID, participant, ttl, time.Now())
			join := cs.Endpoint.JoinPath("join")
			join.RawQuery = url.Values{"call": {callID}, "token": {token}}.Encode()
			return printJSON(cmd.OutOrStdout(), map[string]string{
				"token":     token,
				"expiresOn": expiry.UTC().Format(time.RFC3339),
				"joinUrl":   join.String(),
			})
		},
	}
	cmd.Flags().StringVar(&callID, "call", "", "serverCallId of the call")
	cmd.Flags().StringVar(&participant, "participant", "", "participant raw id, e.g. 8:acs:… or 4:+1…")
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "how long the token is valid (at most 168h)")
	addConnectionStringFlag(cmd)
	return cmd
}

// checkCallActive asks the server whether the call exists and goes on: a
// token for an ended call could never join (the server refuses it with 404
// CallEnded), so none is minted.
func checkCallActive(cmd *cobra.Command, cs *hmacauth.ConnectionString, callID string) error {
	c, err := callautomation.NewCallAutomationClient(hmacauth.FormatConnectionString(cs.Endpoint.String(), cs.AccessKey), nil)
	if err != nil {
		return err
	}
	call, err := c.Calls().Get(cmd.Context(), callID)
	if err != nil {
		return err
	}
	if call.State == callrec.CallEnded {
		return fmt.Errorf("CallEnded: call %s has ended: it takes no new participants", callID)
	}
	return nil
}

// addConnectionStringFlag adds --connection-string to a command that only
// needs the connection string (not the SDK client).
func addConnectionStringFlag(cmd *cobra.Command) {
	cmd.Flags().String("connection-string", "", "endpoint=https://host/;accesskey=KEY (default $"+connectionStringEnv+")")
}

func parseConnectionString(cmd *cobra.Command) (*hmacauth.ConnectionString, error) {
	s, _ := cmd.Flags().GetString("connection-string")
	if s == "" {
		s = os.Getenv(connectionStringEnv)
	}
	if s == "" {
		return nil, errors.New("no connection string: pass --connection-string or set " + connectionStringEnv)
	}
	return hmacauth.ParseConnectionString(s)
}
