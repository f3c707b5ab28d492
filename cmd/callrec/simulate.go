package main

import (
	"context"
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
	"github.com/callrec/callrec/simulate/sipphone"
)

// newSimulateCmd is `callrec simulate`: pure-Go WebRTC participants that
// join a call over WHIP, and phones that call it over SIP
// (simulate/sipphone), streaming tones, silence or WAV files.
func newSimulateCmd() *cobra.Command {
	var callID, loss, ca, sipAddr, sipTransport string
	var participants, displayNames []string
	var duration, jitter time.Duration
	var loopback bool
	cmd := &cobra.Command{
		Use:   "simulate --call ID --participant RAWID=SOURCE ...",
		Short: "Join simulated participants to a call and stream audio (tone:HZ, silence or a WAV file) and synthetic video, over WebRTC or as phones over SIP",
		Long: `Joins simulated participants to a call. A SOURCE is tone:HZ, silence or a 16-bit WAV file; such a
participant publishes Opus over WebRTC (WHIP). A WebRTC SOURCE followed by ,video:COLOUR (red, green,
blue, yellow, magenta, cyan, orange, gray) also publishes a synthetic VP8 video, 640x360 at 15 fps,
encoded by ffmpeg (libvpx): the colour with a sweeping bar, the RAWID and a frame counter, and every 4 s
a white frame while a tone or silence source beeps at 2 kHz for 100 ms (for A/V sync checks). A SOURCE prefixed with sip: (or sip/CODEC:) makes the
participant a phone instead: a SIP user agent that INVITEs sip:<call>@<--sip-addr> and sends G.711
(PCMU by default; sip/pcma:, sip/g722:, sip/opus: choose PCMA, G.722 or Opus) RTP of the source, then hangs
up with a BYE. A phone's RAWID is 4:+<number> (it calls from that number) or a sip:user@host URI; its WAV file
must be at 8 kHz (16 kHz for G.722; 8, 12, 16, 24 or 48 kHz for Opus).`,
		Example: `  callrec simulate --call $CALL --participant 8:acs:alice=tone:440,video:red --name "8:acs:alice=Alice Smith" --participant 4:+14255550123=speech.wav \
      --duration 30s --loss 5% --jitter 30ms
  callrec simulate --call $CALL --participant 4:+14255550100=sip:tone:440 \
      --participant sip:bob@example.com=sip/g722:tone:660 --sip-addr 127.0.0.1:5060`,
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
			names := map[string]string{}
			for _, n := range displayNames {
				rawID, name, ok := strings.Cut(n, "=")
				if !ok || name == "" {
					return fmt.Errorf("--name %q: want RAWID=NAME", n)
				}
				names[rawID] = name
			}
			var sims []simulant
			for _, p := range participants {
				rawID, source, ok := strings.Cut(p, "=")
				if !ok || source == "" {
					return fmt.Errorf("--participant %q: want RAWID=SOURCE", p)
				}
				if codec, src, isPhone, err := phoneSource(source); isPhone {
					if err != nil {
						return fmt.Errorf("--participant %q: %w", p, err)
					}
					if !strings.HasPrefix(rawID, "sip:") {
						if err := jointoken.ValidateRawID(rawID); err != nil || !strings.HasPrefix(rawID, "4:+") {
							return fmt.Errorf("--participant %q: a phone's RAWID is 4:+<number> or sip:user@host", p)
						}
					}
					if _, err := sipphone.LoadClip(codec, src); err != nil {
						return err
					}
					o := sipphone.Options{DialOptions: sipphone.DialOptions{Server: sipAddr, Transport: sipTransport,
						CallID: callID, Participant: rawID, Codec: codec},
						Source: src, Duration: duration, Loss: lossRate, Jitter: jitter}
					sims = append(sims, simulant{participant: rawID, source: source, duration: duration,
						join: func(ctx context.Context) (simulate.Result, error) {
							res, err := sipphone.Join(ctx, o)
							return res.Result, err
						}})
					continue
				}
				if err := jointoken.ValidateRawID(rawID); err != nil {
					return err
				}
				audioSource, _, err := simulate.SplitSource(source)
				if err != nil {
					return err
				}
				if _, err := simulate.LoadClip(audioSource); err != nil {
					return err
				}
				token, _ := jointoken.Mint(cs.Key, callID, rawID, duration+time.Hour, time.Now())
				o := simulate.Options{
					Endpoint: cs.Endpoint.String(), Token: token,
					CallID: callID, Participant: rawID, DisplayName: names[rawID], Source: source,
					Duration: duration, Loss: lossRate, Jitter: jitter, SettingEngine: se, HTTPClient: hc,
				}
				sims = append(sims, simulant{participant: rawID, source: source, duration: duration,
					join: func(ctx context.Context) (simulate.Result, error) { return simulate.Join(ctx, o) }})
			}
			return mediaFlagHint(runSimulation(cmd, sims))
		},
	}
	cmd.Flags().StringVar(&callID, "call", "", "serverCallId of the call to join")
	cmd.Flags().StringArrayVar(&participants, "participant", nil, "RAWID=SOURCE; SOURCE is tone:HZ, silence or a 16-bit WAV path, then optionally ,video:COLOUR for a synthetic video (WebRTC only); sip:SOURCE or sip/CODEC:SOURCE makes a phone (repeatable)")
	cmd.Flags().StringArrayVar(&displayNames, "name", nil, "RAWID=NAME: a WebRTC participant's display name, sent with its join and shown on its tile in video recordings and on its synthetic video (repeatable)")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long each participant streams")
	cmd.Flags().StringVar(&loss, "loss", "0", "fraction of packets to drop before sending, e.g. 5% or 0.05")
	cmd.Flags().DurationVar(&jitter, "jitter", 0, "random extra delay per packet, up to this much")
	cmd.Flags().BoolVar(&loopback, "ice-loopback-only", false, "carry media over 127.0.0.1 only, as the server flag of that name (taken anyway on a host with no address but loopback)")
	cmd.Flags().StringVar(&sipAddr, "sip-addr", "127.0.0.1:5060", "callrec's SIP address (its --sip-addr), which phones (sip: sources) call")
	cmd.Flags().StringVar(&sipTransport, "sip-transport", "udp", "phones' SIP transport: udp or tcp")
	addCAFlag(cmd.Flags().StringVar, &ca)
	addConnectionStringFlag(cmd)
	return cmd
}

// simulant is one participant to run: a WebRTC publisher or a phone.
type simulant struct {
	participant, source string
	duration            time.Duration
	join                func(context.Context) (simulate.Result, error)
}

// phoneSource reads a phone's source: "sip:SOURCE" (PCMU) or
// "sip/CODEC:SOURCE". isPhone is false for a WebRTC participant's source.
func phoneSource(s string) (codec sipphone.Codec, source string, isPhone bool, err error) {
	head, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", false, nil
	}
	switch {
	case head == "sip":
		return sipphone.PCMU, rest, true, nil
	case strings.HasPrefix(head, "sip/"):
		codec, err = sipphone.ParseCodec(strings.TrimPrefix(head, "sip/"))
		return codec, rest, true, err
	}
	return "", "", false, nil
}

// runSimulation runs every participant at once and reports what each one
// really sent. SIGTERM, like SIGINT, stops the participants early: each
// leaves the call (WHIP DELETE, or a phone's BYE) before the command exits.
func runSimulation(cmd *cobra.Command, sims []simulant) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
	defer stop()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	out := cmd.OutOrStdout()
	for _, o := range sims {
		wg.Go(func() {
			res, err := o.join(ctx)
			mu.Lock()
			defer mu.Unlock()
			note := ""
			switch {
			case errors.Is(err, simulate.ErrCallEnded):
				note, err = " (the call ended: the server hung up)", nil
			case err == nil && ctx.Err() != nil && res.Streamed() < o.duration:
				note = " (stopped early by a signal)"
			}
			if res.Location != "" {
				fmt.Fprintf(out, "%s: sent %d packets, %s of %s (of %s asked), %d dropped on the wire%s\n",
					o.participant, res.Sent, res.Streamed(), o.source, o.duration, res.Dropped, note)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.participant, err))
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
