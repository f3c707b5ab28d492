package main

import (
	"errors"
	"fmt"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec/jointoken"
	"github.com/callrec/callrec/simulate"
)

// newSimulateCmd is `callrec simulate`: pure-Go WebRTC participants that
// join a call over WHIP and stream tones, silence or WAV files.
func newSimulateCmd() *cobra.Command {
	var callID, loss, ca string
	var participants []string
	var duration, jitter time.Duration
	var loopback bool
	cmd := &cobra.Command{
		Use:   "simulate --call ID --participant RAWID=SOURCE ...",
		Short: "Join simulated participants to a call and stream audio (tone:HZ, silence or a WAV file)",
		Example: `  callrec simulate --call $CALL --participant 8:acs:alice=tone:440 --participant 4:+14255550123=speech.wav \
      --duration 30s --loss 5% --jitter 30ms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs, err := parseConnectionString(cmd)
			if err != nil {
				return err
			}
			if callID == "" || len(participants) == 0 {
				return &usageError{cmd, errors.New("--call and at least one --participant RAWID=SOURCE are required")}
			}
			lossRate, err := parseLoss(loss)
			if err != nil {
				return err
			}
			if !loopback && simulateFallsBack() {
				fmt.Fprintln(cmd.ErrOrStderr(), "callrec simulate: no network interface but loopback has an address: WebRTC media on 127.0.0.1 only")
				loopback = true
			}
			se := simulate.SettingEngine(loopback)
			hc, err := httpClient(ca, 15*time.Second)
			if err != nil {
				return err
			}
			var opts []simulate.Options
			for _, p := range participants {
				rawID, source, ok := strings.Cut(p, "=")
				if !ok || source == "" {
					return fmt.Errorf("--participant %q: want RAWID=SOURCE", p)
				}
				if err := jointoken.ValidateRawID(rawID); err != nil {
					return err
				}
				if _, err := simulate.LoadClip(source); err != nil {
					return err
				}
				token, _ := jointoken.Mint(cs.Key, callID, rawID, duration+time.Hour, time.Now())
				opts = append(opts, simulate.Options{
					Endpoint: cs.Endpoint.String(), Token: token,
					CallID: callID, Participant: rawID, Source: source,
					Duration: duration, Loss: lossRate, Jitter: jitter, SettingEngine: se, HTTPClient: hc,
				})
			}
			return mediaFlagHint(runSimulation(cmd, opts))
		},
	}
	cmd.Flags().StringVar(&callID, "call", "", "serverCallId of the call to join")
	cmd.Flags().StringArrayVar(&participants, "participant", nil, "RAWID=SOURCE; SOURCE is tone:HZ, silence or a 16-bit WAV path (repeatable)")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long each participant streams")
	cmd.Flags().StringVar(&loss, "loss", "0", "fraction of packets to drop before sending, e.g. 5% or 0.05")
	cmd.Flags().DurationVar(&jitter, "jitter", 0, "random extra delay per packet, up to this much")
	cmd.Flags().BoolVar(&loopback, "ice-loopback-only", false, "carry media over 127.0.0.1 only, as the server flag of that name (taken anyway on a host with no address but loopback)")
	addCAFlag(cmd.Flags().StringVar, &ca)
	addConnectionStringFlag(cmd)
	return cmd
}

// runSimulation runs every participant at once and reports what each one
// really sent. SIGTERM, like SIGINT, stops the participants early: each
// leaves the call (WHIP DELETE) before the command exits.
func runSimulation(cmd *cobra.Command, opts []simulate.Options) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
	defer stop()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	out := cmd.OutOrStdout()
	for _, o := range opts {
		wg.Go(func() {
			res, err := simulate.Join(ctx, o)
			mu.Lock()
			defer mu.Unlock()
			note := ""
			switch {
			case errors.Is(err, simulate.ErrCallEnded):
				note, err = " (the call ended: the server hung up)", nil
			case err == nil && ctx.Err() != nil && res.Streamed() < o.Duration:
				note = " (stopped early by a signal)"
			}
			if res.Location != "" {
				fmt.Fprintf(out, "%s: sent %d packets, %s of %s (of %s asked), %d dropped on the wire%s\n",
					o.Participant, res.Sent, res.Streamed(), o.Source, o.Duration, res.Dropped, note)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.Participant, err))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// parseLoss accepts "5%" or "0.05".
func parseLoss(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("--loss %q: want a percentage like 5%% or a fraction like 0.05", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v >= 1 {
		return 0, fmt.Errorf("--loss %q: must be at least 0 and below 100%%", s)
	}
	return v, nil
}
