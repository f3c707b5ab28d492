package benchlive

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Result is what one run measured.
type Result struct {
	Calls        int // calls started
	CallsHeld    int // calls whose every participant streamed through the window
	Participants int // participants that joined
	Phones       int // of them, phones over SIP (the rest over WebRTC)
	Unmixed      bool
	Transport    string        // TransportWebRTC, TransportSIP or TransportMixed
	Video        bool          // participants sent video too; recordings are audioVideo MP4
	Window       time.Duration // the measurement window, as held
	ConnectAll   time.Duration // from the first join to the last connection

	Sent      int64   // packets sent (the whole run)
	Received  int64   // packets the server received (the whole run)
	Lost      int64   // the server's count of packets never received in time
	Late      int64   // packets the server dropped as late
	Concealed int64   // frames the server concealed
	LossPct   float64 // (sent − received) / sent, or lost / sent if larger, in %
	// LateAudio is audio that reached the recordings after its place was
	// committed (decoded too far behind the call clock: the media path fell
	// behind although the packets arrived), summed over participants.
	LateAudio time.Duration

	// Queueing delay of each packet in the window (its one-way delay from
	// the sender to the server's media pipeline, less its stream's least),
	// over all WebRTC participants (phones send plain RTP, without
	// transport-wide feedback).
	DelayP50, DelayP99, DelayMax time.Duration
	DelaySamples                 int
	SenderMaxLate                time.Duration // how late the sender's pacing ever was

	// CPU over the window. ServerCPU is the server process alone (from
	// /proc/<pid>/stat); SimulatorCPU is this process.
	ServerMeasured       bool
	ServerCPU            time.Duration
	SimulatorCPU         time.Duration
	CPUPerParticipantMin time.Duration // server CPU per recorded participant-minute
	// The floor: bare Opus decode of the same packets, per participant-
	// minute (floor.go); for phones G.711 expansion and upsampling; in a
	// mixed run both, weighted by the participants of each kind. FloorPerParticipantMin is the quiet floor, the
	// least of FloorQuietRuns (before and after the calls); FloorWindow is
	// the median of FloorWindowSlices, decoded through the window.
	FloorPerParticipantMin time.Duration
	FloorQuietRuns         []time.Duration // sorted
	FloorWindow            time.Duration
	FloorWindowSlices      []time.Duration // sorted
	// ServerDecodePerParticipantMin is the time the server itself spent in
	// Opus decode in the window (its decode_seconds histogram), per WebRTC
	// participant-minute: the floor under the run's own load.
	ServerDecodePerParticipantMin time.Duration
	ServerRSSBase                 int64 // before the calls
	ServerRSSPeak                 int64 // during the window
	MemPerCall                    int64 // (peak − base) / calls

	// The machine in the window: Cores is how many CPUs this process (and
	// the server it started) may use; MachineBusy the share of those CPUs'
	// time that anything used (every process, ours or not, from
	// /proc/stat); LoadAvg the 1-minute load average at the window's end.
	Cores       int
	MachineBusy float64
	LoadAvg     float64

	Recordings int // recordings checked
	Intact     int // recordings whose every participant's tone runs without a gap
	// Clicks counts discontinuities: a tone dips for less than 12.5 ms, as
	// when a few samples are cut or inserted (a timing correction). They
	// do not count against Intact.
	Clicks int
	// Gaps counts holes of 12.5 ms or more over every participant's track.
	Gaps int
	// ClickAt says where each click is: call, participant, tone, and its
	// position in the recording's file.
	ClickAt  []string
	Problems []string
	// With Video: the composites' checks, over all recordings (see
	// videoCheck), and the server's keyframe requests.
	VideoFrames, VideoExpected   int // frames in the files; frames their durations hold at 16 fps
	VideoTiled, VideoDecoded     int // frames with every participant's colour in its tile; frames decoded
	Beeps, Flashes, FlashMatched int
	FlashMaxOffset               time.Duration
	KeyframeRequests             int
	// Nodes, in a run of several nodes on one database, is what each did
	// (in the order started; the application talks to the first).
	Nodes []NodeResult
}

// CPUPerRecordingMin is the server's CPU per recording-minute.
func (r *Result) CPUPerRecordingMin() time.Duration {
	if r.Calls == 0 || r.Window <= 0 {
		return 0
	}
	return time.Duration(float64(r.ServerCPU) / (float64(r.Calls) * r.Window.Minutes()))
}

// RealTimeFactor is the composites' frames over the frames their
// durations hold: 1 when the encoders kept up, less by the share of
// frames left out.
func (r *Result) RealTimeFactor() float64 {
	if r.VideoExpected == 0 {
		return math.NaN()
	}
	return float64(r.VideoFrames) / float64(r.VideoExpected)
}

// ServerCores is the server's CPU use in the window, in cores.
func (r *Result) ServerCores() float64 { return r.ServerCPU.Seconds() / r.Window.Seconds() }

// SimulatorCores is the simulator's CPU use in the window, in cores.
func (r *Result) SimulatorCores() float64 { return r.SimulatorCPU.Seconds() / r.Window.Seconds() }

// OursShare is the share of the usable cores the server and the simulator
// used together in the window.
func (r *Result) OursShare() float64 {
	if r.Cores == 0 {
		return math.NaN()
	}
	return (r.ServerCores() + r.SimulatorCores()) / float64(r.Cores)
}

// VsFloor is server CPU per participant-minute over the quiet floor.
func (r *Result) VsFloor() float64 { return ratio(r.CPUPerParticipantMin, r.FloorPerParticipantMin) }

// VsWindowFloor is server CPU per participant-minute over the floor
// measured through the window.
func (r *Result) VsWindowFloor() float64 { return ratio(r.CPUPerParticipantMin, r.FloorWindow) }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return a.Seconds() / b.Seconds()
}

// spread is "min–median–max s" of sorted durations.
func spread(sorted []time.Duration) string {
	if len(sorted) == 0 {
		return "none"
	}
	return fmt.Sprintf("%.4f–%.4f–%.4f s", sorted[0].Seconds(), sorted[len(sorted)/2].Seconds(), sorted[len(sorted)-1].Seconds())
}

// Line is the summary line `callrec bench live` ends with.
func (r *Result) Line() string {
	cpu, mem := "n/a", "n/a"
	if r.ServerMeasured {
		cpu = fmt.Sprintf("%.4f", r.CPUPerParticipantMin.Seconds())
		mem = fmt.Sprintf("%d", r.MemPerCall)
	}
	transport := ""
	if r.Transport == TransportSIP || r.Transport == TransportMixed {
		transport = " transport=" + r.Transport
	}
	if r.Video {
		transport += fmt.Sprintf(" video=1 cpu_per_recording_min=%.3f rtf=%.3f flashes=%d/%d", r.CPUPerRecordingMin().Seconds(),
			r.RealTimeFactor(), r.FlashMatched, r.Flashes)
	}
	for _, n := range r.Nodes {
		transport += fmt.Sprintf(" node=%s:calls=%d,capacity=%d,cpu_per_participant_min=%.4f,intact=%d/%d",
			n.ID, n.Calls, n.Capacity, n.CPUPerParticipantMin.Seconds(), n.Intact, n.Recordings)
	}
	return fmt.Sprintf("live:%s calls=%d participants=%d loss=%.3f%% cpu_per_participant_min=%s mem_per_call=%s intact=%d/%d",
		transport, r.CallsHeld, r.Participants, r.LossPct, cpu, mem, r.Intact, r.Recordings)
}

// LateAudioPct is LateAudio as a share of the audio the participants sent
// in the window.
func (r *Result) LateAudioPct() float64 {
	if r.Participants == 0 || r.Window <= 0 {
		return 0
	}
	return 100 * r.LateAudio.Seconds() / (float64(r.Participants) * r.Window.Seconds())
}

// Report writes the run's figures, then Line.
func (r *Result) Report(w io.Writer) {
	layout := "mixed"
	if r.Unmixed {
		layout = "unmixed"
	}
	kinds := ""
	if r.Transport == TransportMixed {
		kinds = fmt.Sprintf(": %d browsers over WebRTC, %d phones over SIP", r.Participants-r.Phones, r.Phones)
	}
	fmt.Fprintf(w, "calls: %d started, %d held; %d participants (%s%s); all connected in %s; window %s\n",
		r.Calls, r.CallsHeld, r.Participants, layout, kinds, r.ConnectAll.Round(time.Millisecond), r.Window.Round(time.Millisecond))
	both := ""
	if r.Transport == TransportMixed {
		both = " (browsers' and phones' together)"
	}
	fmt.Fprintf(w, "packets%s: %d sent, %d received, %d lost, %d late, %d concealed: loss %.3f%%\n",
		both, r.Sent, r.Received, r.Lost, r.Late, r.Concealed, r.LossPct)
	fmt.Fprintf(w, "audio late at the recorder (decoded after its place was committed): %s, %.2f%% of the participants' audio\n",
		r.LateAudio.Round(time.Millisecond), r.LateAudioPct())
	if r.Transport == TransportSIP {
		fmt.Fprintf(w, "media delay: not measured for phones (plain RTP has no transport-wide feedback); sender pacing late by up to %s\n",
			ms(r.SenderMaxLate))
	} else {
		who := ""
		if r.Transport == TransportMixed {
			who = "WebRTC participants only (phones' plain RTP has no transport-wide feedback), "
		}
		fmt.Fprintf(w, "media delay (queueing, sender → server pipeline, %s%d packets): p50 %s, p99 %s, max %s; sender pacing late by up to %s\n",
			who, r.DelaySamples, ms(r.DelayP50), ms(r.DelayP99), ms(r.DelayMax), ms(r.SenderMaxLate))
	}
	if r.ServerMeasured {
		fmt.Fprintf(w, "cpu in window: server %.3f CPU-s (%.0f%% of a core), simulator %.3f CPU-s (%.0f%% of a core)\n",
			r.ServerCPU.Seconds(), 100*r.ServerCores(), r.SimulatorCPU.Seconds(), 100*r.SimulatorCores())
		fmt.Fprintf(w, "machine in window: server + simulator %.0f%% of %d cores; the cores %.0f%% busy with everything on them; load average %.2f\n",
			100*r.OursShare(), r.Cores, 100*r.MachineBusy, r.LoadAvg)
		// An audioVideo run's server composites video too: an audio
		// decode floor says nothing of its cost (the video line below
		// gives it per recording-minute).
		if !r.Video {
			floor := "bare Opus decode"
			switch r.Transport {
			case TransportSIP:
				floor = "bare G.711 decode + 8→16 kHz upsampling"
			case TransportMixed:
				floor = "bare Opus decode (browsers) + G.711 decode and 8→16 kHz upsampling (phones), weighted by their counts,"
			}
			fmt.Fprintf(w, "%s floor per participant-minute: quiet %.4f s (least of %d runs before and after the calls; min–median–max %s); in the window %.4f s (median of %d slices through it; %s)\n",
				floor, r.FloorPerParticipantMin.Seconds(), len(r.FloorQuietRuns), spread(r.FloorQuietRuns),
				r.FloorWindow.Seconds(), len(r.FloorWindowSlices), spread(r.FloorWindowSlices))
			fmt.Fprintf(w, "server cpu per recorded participant-minute: %.4f s; ratio %.2f to the quiet floor, %.2f to the window's floor\n",
				r.CPUPerParticipantMin.Seconds(), r.VsFloor(), r.VsWindowFloor())
			if r.ServerDecodePerParticipantMin > 0 && r.Transport == TransportMixed {
				// The server's CPU is both kinds'; its Opus decode the browsers' alone.
				fmt.Fprintf(w, "server's own Opus decode in the window: %.4f s per WebRTC participant-minute\n",
					r.ServerDecodePerParticipantMin.Seconds())
			} else if r.ServerDecodePerParticipantMin > 0 {
				fmt.Fprintf(w, "server's own Opus decode in the window: %.4f s per participant-minute; server cpu / its decode %.2f\n",
					r.ServerDecodePerParticipantMin.Seconds(), r.CPUPerParticipantMin.Seconds()/r.ServerDecodePerParticipantMin.Seconds())
			}
		}
		fmt.Fprintf(w, "server memory: %d MiB before the calls, %d MiB at peak: %d KiB per call\n",
			r.ServerRSSBase>>20, r.ServerRSSPeak>>20, r.MemPerCall>>10)
		if r.Video {
			fmt.Fprintf(w, "video: server cpu and memory are its process tree's (its ffmpeg decoders and encoders); server cpu per recording-minute %.3f s, per participant-minute %.4f s\n",
				r.CPUPerRecordingMin().Seconds(), r.CPUPerParticipantMin.Seconds())
		}
	} else {
		fmt.Fprintf(w, "cpu in window: simulator %.3f CPU-s; server not measured (give its pid)\n", r.SimulatorCPU.Seconds())
	}
	r.reportNodes(w)
	if r.Video {
		fmt.Fprintf(w, "composites: %d frames in the files of %d their durations hold at 16 fps (real-time factor %.3f, %d left out); %d of %d decoded frames show every participant's colour in its tile; %d of %d flashes within a frame of their beep (largest offset %s; %d beeps); %d keyframe requests\n",
			r.VideoFrames, r.VideoExpected, r.RealTimeFactor(), max(r.VideoExpected-r.VideoFrames, 0), r.VideoTiled, r.VideoDecoded,
			r.FlashMatched, r.Flashes, ms(r.FlashMaxOffset), r.Beeps, r.KeyframeRequests)
	}
	fmt.Fprintf(w, "recordings: %d of %d intact (no gap of 12.5 ms or more; %d gaps over all participants); %d shorter discontinuities (clicks)\n", r.Intact, r.Recordings, r.Gaps, r.Clicks)
	for i, c := range r.ClickAt {
		if i == maxClicksShown {
			fmt.Fprintf(w, "  … and %d more clicks\n", len(r.ClickAt)-i)
			break
		}
		fmt.Fprintf(w, "  click: %s\n", c)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	fmt.Fprintln(w, r.Line())
}

// maxClicksShown bounds the click positions a report lists.
const maxClicksShown = 20

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// percentile returns the q-quantile (0–1) of sorted values.
func percentile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortedCopy(v []int64) []int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}
