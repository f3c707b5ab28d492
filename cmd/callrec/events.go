package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/service"
)

// newEventsCmd is `callrec events`: subscriptions, dead letters and the
// live event stream of a callrec server.
func newEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Manage event subscriptions, dead letters, and follow events",
	}
	flags := addClientFlags(cmd)
	cmd.AddCommand(newSubscribeCmd(flags), newSubscriptionsListCmd(flags), newUnsubscribeCmd(flags),
		newDeadLettersCmd(flags), newReplayCmd(flags), newTailCmd(flags))
	return cmd
}

func newSubscribeCmd(flags *clientFlags) *cobra.Command {
	var s callrec.Subscription
	var schema string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "subscribe --name N --url URL",
		Short: "Create or replace an event subscription; the endpoint is validated first",
		Long: `Create or replace an event subscription. The endpoint must pass Event Grid's
validation handshake (eventgrid schema: echo the validationCode, or GET the
validationUrl within the deadline) or the CloudEvents OPTIONS handshake
(cloudevents schema). The command prints the subscription with its state and
exits non-zero, saying why, unless it is validated: an unvalidated
subscription receives nothing. The server retries a failed handshake until
the validation deadline; --wait waits that long for it to pass.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			if s.Schema, err = service.ParseSchema(schema); err != nil {
				return err
			}
			ctx := cmd.Context()
			got, err := c.Events().Subscribe(ctx, s)
			if err != nil {
				return err
			}
			for end := time.Now().Add(wait); got.State == callrec.SubscriptionAwaitingValidation && time.Now().Before(end); {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(min(subscribePoll, time.Until(end))):
				}
				if got, err = c.Events().Subscription(ctx, s.Name); err != nil {
					return err
				}
			}
			if err := printJSON(cmd.OutOrStdout(), got); err != nil {
				return err
			}
			return notValidated(got)
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.Name, "name", "", "subscription name (3–64 letters, digits, hyphens)")
	f.StringVar(&s.URL, "url", "", "endpoint URL that receives the events")
	f.StringVar(&schema, "schema", "eventgrid", "delivery schema: eventgrid or cloudevents")
	f.StringArrayVar(&s.Types, "type", nil, "event type to deliver (repeat; default all)")
	f.StringVar(&s.SubjectPrefix, "subject-prefix", "", "deliver only events whose subject begins with this")
	f.StringVar(&s.Secret, "secret", "", "sign each delivery with this secret (callrec-signature header)")
	f.DurationVar(&wait, "wait", 0, "wait up to this long for a subscription awaiting validation to pass (the server retries the handshake)")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("url")
	return cmd
}

// subscribePoll is how often `events subscribe --wait` reads the state.
const subscribePoll = 500 * time.Millisecond

// notValidated is the error of a subscription that receives nothing yet.
func notValidated(s *callrec.Subscription) error {
	if s.State == callrec.SubscriptionValidated {
		return nil
	}
	msg := fmt.Sprintf("subscription %q is %s, not validated, and receives no events: %s", s.Name, s.State, s.Reason)
	if s.State == callrec.SubscriptionAwaitingValidation && s.ValidationDeadline != nil {
		msg += fmt.Sprintf(" (it fails at %s unless validated; see `callrec events list`)", s.ValidationDeadline.Format(time.RFC3339))
	}
	return errors.New(msg)
}

func newSubscriptionsListCmd(flags *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List event subscriptions, their state and why an unvalidated one receives nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			subs, err := c.Events().Subscriptions(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), subs)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSTATE\tSCHEMA\tURL\tTYPES\tREASON")
			for _, s := range subs {
				types := "all"
				if len(s.Types) > 0 {
					types = fmt.Sprint(s.Types)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.State, s.Schema, s.URL, types, s.Reason)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newUnsubscribeCmd(flags *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "unsubscribe NAME",
		Short: "Delete an event subscription",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			return c.Events().Unsubscribe(cmd.Context(), args[0])
		},
	}
}

func newDeadLettersCmd(flags *clientFlags) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "dead-letters",
		Short: "List deliveries that were given up (newest first) as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			dl, err := c.Events().DeadLetters(cmd.Context(), limit)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), dl)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many")
	return cmd
}

func newReplayCmd(flags *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "replay ID",
		Short: "Deliver a dead letter again (same event id, fresh attempts)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("dead letter id %q is not a number", args[0])
			}
			c, err := flags.client()
			if err != nil {
				return err
			}
			return c.Events().Replay(cmd.Context(), id)
		},
	}
}

func newTailCmd(flags *clientFlags) *cobra.Command {
	var after int64
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print events as they happen, one JSON object a line, until interrupted",
		Long: `Print events as they happen, one JSON object a line, until interrupted. When
the stream breaks (the server restarts, the network drops) tail says so on
stderr, reconnects with backoff (1s doubling up to 30s) and resumes after the
last event it printed, so that none is lost or printed twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := flags.client()
			if err != nil {
				return err
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			return c.Events().Follow(cmd.Context(), after, func(e callautomation.StreamedEvent) error {
				b, err := marshalLine(e.Event)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(out, "%s\n", b)
				return err
			}, func(err error, wait time.Duration) {
				fmt.Fprintf(errOut, "callrec events tail: %v; reconnecting in %s\n", err, wait)
			})
		},
	}
	cmd.Flags().Int64Var(&after, "after", -1, "start after this stream position (0: every stored event; -1: from now on)")
	return cmd
}

// marshalLine encodes v as compact JSON without HTML escaping.
func marshalLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
