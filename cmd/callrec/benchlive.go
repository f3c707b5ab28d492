package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec/internal/benchlive"
)

// newBenchLiveCmd is `callrec bench live`: calls of simulated participants
// over real WebRTC on loopback, every call recorded, server cost and
// recording integrity measured (internal/benchlive).
func newBenchLiveCmd() *cobra.Command {
	var (
		calls, participants, seconds int
		channel, connectionString    string
		serverPID, joinConcurrency   int
		warmup                       time.Duration
		ramp, withVideo              bool
		rampStart, rampMax           int
		workDir, serverBinary        string
		metricsURL                   string
		transport, sipAddr           string
		nodes                        int
		database                     string
		nodeCapacities               []int
	)
	cmd := &cobra.Command{
		Use:   "live",
		Short: "Record live calls of simulated WebRTC participants, phones (SIP) or both; report loss, delay, server CPU and memory, and file integrity",
		Long: `Starts ` + "`callrec serve --ice-loopback-only --metrics-addr ...`" + ` as a child process (or targets
--connection-string, with --metrics-url),
creates --calls calls, records each (wav, --channel mixed or unmixed), joins --participants publishers
per call over WHIP on 127.0.0.1 (lean publishers: a UDP socket, ICE check, DTLS, SRTP; one pacer
for all calls), each sending its own tone (encoded once, packets replayed), holds
the calls for --seconds, then stops the recordings, downloads every file and checks each
participant's tone in it, without gaps, for as long as it was sent.

Reported: calls held, packet loss, late packets, media delay (queueing from the sender to the
server's pipeline, from the server's TWCC feedback), CPU of the server process alone
(/proc/<pid>/stat) and of the simulator, server CPU per recorded participant-minute beside bare Opus
decode of the same packets measured in the same run (quiet: the least of tight-loop runs before and
after the calls; in the window: the median of slices decoded through it), server memory per call,
intact recordings.

--ramp searches for the largest number of calls held for --seconds with loss under 0.5%, p99
media delay under 100 ms and intact files: it doubles from --ramp-start up to --max-calls, then
bisects; each step starts a fresh server.

--transport sip makes the participants phones instead: each INVITEs the server's SIP endpoint
(sip:<call>@127.0.0.1:<port>; --sip-addr with --connection-string) from a number of its own
(4:+1…) and sends its tone as G.711 µ-law RTP (8 kHz, 20 ms), paced like the WebRTC
participants; the floor is then G.711 expansion + 8→16 kHz upsampling of the same packets
(the server's own work per packet), and media delay is not measured (plain RTP has no
transport-wide feedback; late packets and gaps in the recordings still count).

--transport mixed puts both in every call, alternating: participant 0 a browser (Opus over
WHIP), 1 a phone (G.711 over SIP), 2 a browser, … (a call of 3 is two browsers and a phone).
Packets and loss count both kinds; media delay is the browsers' alone (and so is the ramp's
p99 criterion); the floor is each participant's own decode (Opus for a browser, G.711 +
upsampling for a phone) of the same packets, weighted by the count of each kind; every
recording is checked for every participant's tone. --ramp works with it.

--nodes N (with --database postgres://…) starts N servers sharing that database, each in a
data directory of its own (--node-capacities sets their --node-capacity, one per node);
the calls are created through the first node and placed by cost, participants join on
their call's node, and the report adds one line per node: calls placed, its advertised
capacity and load (from the registry), its CPU per participant-minute and its intact
recordings.

--video makes every participant also publish a synthetic VP8 video (at most 7 per call, one
colour each: its name, a frame counter, a white flash every 4 s; its tone beeps at the flash, at
a pitch of its own), encoded once per process by the same painter and encoder as
` + "`callrec simulate`" + ` (one 4 s loop with a keyframe a second, replayed on the pacer's grid;
a keyframe request is answered by the next), and records every call as a mixed audioVideo MP4.
After the hold every MP4 is downloaded and checked by content with ffmpeg/ffprobe: H.264
1920x1080 at 16 fps and AAC 16 kHz; every tone without a gap; each participant's colour in a
tile of its own; every flash shown within a frame (62.5 ms) of its beep. The server is then
measured with its child processes (its ffmpeg decoders and encoders), and the report adds its
CPU per recording-minute and the composites' real-time factor (frames in the files over the
frames their durations hold).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if channel != "mixed" && channel != "unmixed" {
				return fmt.Errorf("--channel %q: want mixed or unmixed", channel)
			}
			cfg := benchlive.Config{
				Calls: calls, Participants: participants, Hold: time.Duration(seconds) * time.Second,
				Unmixed: channel == "unmixed", ConnectionString: connectionString, ServerPID: serverPID,
				MetricsURL: metricsURL, Transport: transport, SIPAddr: sipAddr,
				Nodes: nodes, Database: database, NodeCapacities: nodeCapacities,
				Binary: serverBinary, WorkDir: workDir, JoinConcurrency: joinConcurrency, Warmup: warmup,
				Video: withVideo, Progress: cmd.ErrOrStderr(),
			}
			out := cmd.OutOrStdout()
			if ramp {
				rr, err := benchlive.Ramp(cmd.Context(), benchlive.RampConfig{Run: cfg, Start: rampStart, MaxCalls: rampMax})
				if rr != nil {
					rr.Report(out)
				}
				return err
			}
			res, err := benchlive.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			res.Report(out)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&calls, "calls", 10, "calls held at once")
	f.IntVar(&participants, "participants", 3, "publishing participants per call")
	f.IntVar(&seconds, "seconds", 60, "measurement window, once every participant streams")
	f.StringVar(&channel, "channel", "mixed", "mixed or unmixed recordings")
	f.StringVar(&connectionString, "connection-string", "", "target this running server instead of starting one")
	f.StringVar(&metricsURL, "metrics-url", "", "with --connection-string: the server's metrics listener (its --metrics-addr), e.g. http://127.0.0.1:9090")
	f.StringVar(&transport, "transport", "webrtc", "how participants join: webrtc (Opus over WHIP), sip (phones: G.711 over RTP) or mixed (alternating: browser, phone, browser, …)")
	f.StringVar(&sipAddr, "sip-addr", "", "with --connection-string and --transport sip or mixed: the server's SIP address (its --sip-addr)")
	f.IntVar(&nodes, "nodes", 1, "servers to start, sharing --database (placement spreads the calls by cost)")
	f.StringVar(&database, "database", "", "with --nodes 2 or more: the PostgreSQL database the nodes share (postgres://…)")
	f.IntSliceVar(&nodeCapacities, "node-capacities", nil, "with --nodes: each node's --node-capacity, comma-separated (default: each its own default)")
	f.IntVar(&serverPID, "server-pid", 0, "with --connection-string: the server's pid, to measure its CPU and memory")
	f.StringVar(&serverBinary, "server-binary", "", "callrec executable to run as the server (default: this one), to compare builds")
	f.StringVar(&workDir, "work-dir", "", "keep the child server's data and log here (default: a temporary directory)")
	f.IntVar(&joinConcurrency, "join-concurrency", 10, "participants connecting at once")
	f.DurationVar(&warmup, "warmup", 2*time.Second, "streaming before the window opens")
	f.BoolVar(&withVideo, "video", false, "participants publish synthetic VP8 video too; record audioVideo MP4 and check it by content (see above)")
	f.BoolVar(&ramp, "ramp", false, "find the largest number of calls held (see above)")
	f.IntVar(&rampStart, "ramp-start", 5, "calls in the ramp's first step")
	f.IntVar(&rampMax, "max-calls", 40, "the ramp's cap")
	return cmd
}
