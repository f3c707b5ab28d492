package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/cluster"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/recorder"
	"github.com/callrec/callrec/sip"
	"github.com/callrec/callrec/siprec"
	"github.com/callrec/callrec/webhook"
)

func newServeCmd() *cobra.Command {
	var (
		cfg       app.Config
		logLevel  string
		pprofAddr string
		schedule  []time.Duration
		retryThen time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the callrec server (SQLite and local disk in --data by default)",
		Long: `Run the callrec server. With no settings it runs on the embedded default:
SQLite and recordings in ./callrec-data, listening on 127.0.0.1:8080, with an
access key generated on first start. Every flag can also be set with a
CALLREC_<FLAG> environment variable (CALLREC_ADDR, CALLREC_DATA, ...) or a key
of the JSON file given by --config. SIGTERM drains; SIGINT stops at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applySettings(cmd.Flags()); err != nil {
				return err
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			cfg.WebhookPolicy.Schedule, cfg.WebhookPolicy.Then = schedule, retryThen
			tuneGC(log)
			if pprofAddr != "" {
				stop, err := startPprof(pprofAddr, log)
				if err != nil {
					return fmt.Errorf("--pprof-addr: %w", err)
				}
				defer stop()
			}
			return runServe(cmd.Context(), cfg, log)
		},
	}
	f := cmd.Flags()
	f.String("config", "", "JSON config file whose keys are these flag names")
	f.StringVar(&cfg.DataDir, "data", app.DefaultDataDir, "data directory (state database, access key, recordings)")
	f.StringVar(&cfg.Database, "database", "", "state database: a postgres:// URL that several nodes may share (default: SQLite in --data)")
	f.StringVar(&cfg.AccessKeyFile, "access-key-file", "", "file holding the access key (base64), managed by you: used as it is (default: DATA/access-key, generated on first start; nodes on one PostgreSQL share the first node's)")
	f.StringVar(&cfg.NodeURL, "node-url", "", "this node's own base URL, reachable by the other nodes sharing its database (joins redirected here, internal requests); default --public-url")
	f.IntVar(&cfg.NodeCapacity, "node-capacity", 0, "participants this node hosts at most when nodes share a database; new calls go elsewhere or get 503 (default 150 per CPU)")
	f.DurationVar(&cfg.NodeLease, "node-lease", cluster.DefaultLease, "how long a node keeps its calls without a heartbeat; then another node ends them (reason nodeLost)")
	f.DurationVar(&cfg.DrainCallsTimeout, "drain-calls-timeout", 0, "on SIGTERM, with nodes sharing a database, how long to wait for this node's calls to end before draining (no new calls are placed here meanwhile)")
	f.StringVar(&cfg.Storage, "storage", "", "where recordings are stored: file:///dir, s3://bucket?endpoint=…&region=…, azblob://container?… (default: DATA/recordings)")
	f.DurationVar(&cfg.UploadInterval, "upload-interval", recorder.DefaultUploadInterval, "upload the part of each live chunk written since the last time to --storage this often, so a node that never comes back loses at most this (negative: never)")
	f.StringVar(&cfg.ExternalStorageFile, "external-storage", "", "JSON file of the containers a recording start's externalStorage may name, with their credentials (docs/byos.md; default: externalStorage refused)")
	f.StringVar(&cfg.Addr, "addr", app.DefaultAddr, "listen address")
	f.StringVar(&cfg.PublicURL, "public-url", "", "public base URL written into connection strings and content URLs (default from --addr)")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", false, "create a CA and server certificate in DATA/tls and serve https")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 1<<20, "largest accepted request body; larger gets 413")
	f.DurationVar(&cfg.HMACMaxSkew, "hmac-max-skew", hmacauth.DefaultMaxSkew, "largest accepted difference between x-ms-date and the server clock")
	f.IntVar(&cfg.MaxUnmixedChannels, "max-unmixed-channels", callrec.MaxUnmixedChannels, "channels of an unmixed recording (ACS: 5)")
	f.StringVar(&cfg.DefaultFormat, "default-format", "mp4", "what a recording start that names no content, channel or format records: mp4 (mixed audioVideo, as ACS), or wav or mp3 (mixed audio)")
	f.IntVar(&cfg.MaxParticipantsPerCall, "max-participants-per-call", callmedia.DefaultMaxParticipants, "participants one call holds at once; a join beyond gets 409 TooManyParticipants")
	f.DurationVar(&cfg.CallIdleTimeout, "call-idle-timeout", app.DefaultCallIdleTimeout, "end a call this long after its last participant left with nobody back (0: never)")
	f.DurationVar(&cfg.CallUnjoinedTimeout, "call-unjoined-timeout", app.DefaultCallUnjoinedTimeout, "end a call nobody joined this long after its creation (0: never)")
	f.DurationSliceVar(&schedule, "webhook-retry-schedule", webhook.EventGridPolicy().Schedule, "waits after the 1st, 2nd, ... failed delivery")
	f.DurationVar(&retryThen, "webhook-retry-then", webhook.EventGridPolicy().Then, "wait after each failure beyond the schedule")
	f.DurationVar(&cfg.WebhookPolicy.TTL, "webhook-ttl", webhook.DefaultTTL, "give up a delivery this long after its event")
	f.IntVar(&cfg.WebhookPolicy.MaxAttempts, "webhook-max-attempts", webhook.DefaultMaxAttempts, "give up a delivery after this many attempts")
	f.DurationVar(&cfg.WebhookPolicy.AttemptTimeout, "webhook-attempt-timeout", webhook.DefaultAttemptTimeout, "time allowed for one delivery attempt")
	f.DurationVar(&cfg.WebhookPollInterval, "webhook-poll-interval", webhook.DefaultPollInterval, "how often the outbox is checked when nothing wakes it")
	f.StringVar(&cfg.SubscriptionsFile, "subscriptions", "", "JSON file listing event subscriptions to create at startup (docs/events.md)")
	f.DurationVar(&cfg.DrainTimeout, "drain-timeout", app.DefaultDrainTimeout, "how long SIGTERM waits for requests and deliveries in flight")
	f.DurationVar(&cfg.ChunkMaxDuration, "chunk-max-duration", recorder.DefaultChunkMaxDuration, "start a new chunk after this much audio")
	f.Int64Var(&cfg.ChunkMaxBytes, "chunk-max-bytes", recorder.DefaultChunkMaxBytes, "start a new chunk before a file passes this size")
	f.DurationVar(&cfg.Retention, "retention", 0, "delete recordings older than this (0 keeps them until deleted)")
	f.BoolVar(&cfg.ICE.LoopbackOnly, "ice-loopback-only", false, "carry WebRTC media over 127.0.0.1 only (single-host setups and tests)")
	f.StringSliceVar(&cfg.ICE.Interfaces, "ice-interfaces", nil, "network interfaces WebRTC media may use (default all)")
	f.Uint16Var(&cfg.ICE.UDPPortMin, "udp-port-min", 0, "lowest UDP port for WebRTC media (default ephemeral)")
	f.Uint16Var(&cfg.ICE.UDPPortMax, "udp-port-max", 0, "highest UDP port for WebRTC media")
	f.StringSliceVar(&cfg.ICE.PublicIPs, "public-ip", nil, "IP addresses to advertise for media behind a 1:1 NAT")
	f.StringVar(&cfg.SIPAddr, "sip-addr", sip.DefaultAddr, "SIP listen address, UDP and TCP (empty: no SIP); an INVITE to sip:<serverCallId>@host joins that call (docs/sip.md)")
	f.StringVar(&cfg.SIPPublicAddr, "sip-public-addr", "", "IP address (or IP:port) written into SIP Contact headers and SDP, behind NAT (default from --sip-addr)")
	f.StringVar(&cfg.SIPRTPPorts, "sip-rtp-ports", sip.DefaultRTPPorts, "UDP port range of SIP media, first-last (one even port per phone)")
	f.StringVar(&cfg.SIPRECRecord, "siprec-record", siprec.DefaultRecord, "what a SIPREC recording session records by itself: unmixed-wav (one channel per participant, in metadata order), mixed-wav, mixed-mp3, or off (nothing until an app starts a recording; docs/siprec.md)")
	f.StringSliceVar(&cfg.SIPRoutes, "sip-route", nil, "which SIP Request-URI users raise IncomingCall and which join a call: PATTERN=incoming or PATTERN=call:<serverCallId>, PATTERN a user, a prefix ending in *, or * (default: every user that is not a serverCallId raises IncomingCall)")
	f.DurationVar(&cfg.SIPRingTimeout, "sip-ring-timeout", sip.DefaultRingTimeout, "how long an inbound SIP call rings, waiting for answerCall, rejectCall or redirectCall, before 480")
	f.StringVar(&cfg.SIPTrunk, "sip-trunk", "", "host[:port] of the SIP trunk that phone numbers are dialled through (createCall, addParticipant, redirects to a number)")
	f.StringVar(&cfg.SIPTLSAddr, "sip-tls-addr", "", "SIP over TLS listen address (transport=tls), with --sip-tls-cert and --sip-tls-key (default off)")
	f.StringVar(&cfg.SIPTLSCert, "sip-tls-cert", "", "certificate (PEM) of --sip-tls-addr")
	f.StringVar(&cfg.SIPTLSKey, "sip-tls-key", "", "private key (PEM) of --sip-tls-addr")
	f.StringVar(&cfg.SIPAuthFile, "sip-auth-file", "", "file of user:password[:realm] lines: these users must authenticate (digest, SHA-256 or MD5) to call the SIP endpoint, and may REGISTER (default: no credentials asked; docs/sip.md)")
	f.StringSliceVar(&cfg.SIPAuthAlgorithms, "sip-auth-algorithms", sip.DefaultAuthAlgorithms, "digest algorithms offered to --sip-auth-file's users, in order of preference (SHA-256, MD5); phones that know only MD5 and read only the first challenge (baresip 1.0) need MD5 first")
	f.StringVar(&cfg.SIPTrunkAuthFile, "sip-trunk-auth-file", "", "file holding one user:password line that answers the SIP trunk's digest challenge (401/407) to callrec's INVITEs")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics (/metrics) and the probes (/healthz, /readyz) on this address, unauthenticated, e.g. 127.0.0.1:9090 (default off)")
	f.StringVar(&pprofAddr, "pprof-addr", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060 (default off)")
	return cmd
}

// runServe runs a node until SIGTERM (drain) or SIGINT / ctx (stop now).
func runServe(ctx context.Context, cfg app.Config, log *slog.Logger) error {
	// Take SIGTERM before anything else: a SIGTERM that arrives while the
	// node starts (or just after the connection string is printed) drains it
	// instead of killing the process with the default action.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return mediaFlagHint(err)
	}
	ln, err := a.Listen()
	if err != nil {
		a.Close()
		return err
	}
	fmt.Printf("connection string: %s\n", a.ConnectionString)
	if a.TLSFiles != nil {
		fmt.Printf("ca: %s\n", a.TLSFiles.CA)
	}

	drain, startDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer startDrain()
	done := make(chan error, 1)
	go func() { done <- a.Serve(drain, ln) }()
	select {
	case err := <-done:
		return err
	case <-term:
		log.Info("SIGTERM: draining")
		startDrain()
		return <-done
	case <-ctx.Done():
		log.Info("interrupted: stopping now")
		a.Close()
		os.Exit(130)
		return nil
	}
}

func newConnectionStringCmd() *cobra.Command {
	var dataDir, publicURL string
	cmd := &cobra.Command{
		Use:   "connection-string",
		Short: "Print the connection string of a data directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applySettings(cmd.Flags()); err != nil {
				return err
			}
			key, err := app.ReadAccessKey(dataDir)
			if err != nil {
				return err
			}
			if publicURL == "" {
				publicURL = app.ReadPublicURL(dataDir)
			}
			fmt.Println(hmacauth.FormatConnectionString(publicURL, key))
			return nil
		},
	}
	cmd.Flags().String("config", "", "JSON config file whose keys are flag names")
	cmd.Flags().StringVar(&dataDir, "data", app.DefaultDataDir, "data directory")
	cmd.Flags().StringVar(&publicURL, "public-url", "", "public base URL of the server (default: the one the server last ran with)")
	return cmd
}
