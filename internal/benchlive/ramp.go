package benchlive

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Ramp's pass criteria for one step.
const (
	MaxLossPct   = 0.5
	MaxDelayP99  = 100 * time.Millisecond
	maxRampSteps = 10
)

// RampConfig is a search for the largest number of calls the server holds.
type RampConfig struct {
	Run      Config // Calls is set by each step; the rest applies to every step
	Start    int    // calls of the first step
	MaxCalls int    // the ramp never goes beyond this
}

// RampStep is one run of the ramp and its verdict.
type RampStep struct {
	Calls  int
	Result *Result
	Pass   bool
	Why    string // why it failed
}

// RampResult is the ramp's outcome: Best is the largest number of calls
// that passed (0 if none did); Capped says the ramp stopped at MaxCalls
// without a failure, so the true limit is higher.
type RampResult struct {
	Steps  []RampStep
	Best   int
	Capped bool
}

// judge says whether a step held: every call held, loss under 0.5%, p99
// media delay under 100 ms (of the WebRTC participants: phones have no
// delay measured), every recording intact (no gaps).
func judge(r *Result) (bool, string) {
	var why []string
	if r.CallsHeld < r.Calls {
		why = append(why, fmt.Sprintf("%d of %d calls held", r.CallsHeld, r.Calls))
	}
	if r.LossPct >= MaxLossPct {
		why = append(why, fmt.Sprintf("loss %.3f%%", r.LossPct))
	}
	if r.DelayP99 >= MaxDelayP99 {
		why = append(why, fmt.Sprintf("p99 delay %s", ms(r.DelayP99)))
	}
	if r.Intact < r.Calls {
		why = append(why, fmt.Sprintf("%d of %d recordings intact", r.Intact, r.Calls))
	}
	return len(why) == 0, strings.Join(why, ", ")
}

// Ramp doubles the number of calls from Start until a step fails or
// MaxCalls passes, then bisects between the last pass and the first
// failure to within an eighth. Each step is a fresh Run (a fresh server
// when one is started); there are at most 10 steps.
func Ramp(ctx context.Context, rc RampConfig) (*RampResult, error) {
	if rc.Start < 1 || rc.MaxCalls < rc.Start {
		return nil, fmt.Errorf("ramp: start %d and max %d calls", rc.Start, rc.MaxCalls)
	}
	if rc.Run.Progress == nil {
		rc.Run.Progress = io.Discard
	}
	out := &RampResult{}
	step := func(calls int) (bool, error) {
		cfg := rc.Run
		cfg.Calls = calls
		fmt.Fprintf(cfg.Progress, "ramp: step %d: %d calls × %d participants for %s\n",
			len(out.Steps)+1, calls, cfg.Participants, cfg.Hold)
		r, err := Run(ctx, cfg)
		if err != nil {
			return false, fmt.Errorf("ramp step of %d calls: %w", calls, err)
		}
		pass, why := judge(r)
		out.Steps = append(out.Steps, RampStep{Calls: calls, Result: r, Pass: pass, Why: why})
		fmt.Fprintf(cfg.Progress, "ramp: %d calls: %s\n", calls, stepVerdict(out.Steps[len(out.Steps)-1]))
		return pass, nil
	}
	pass, fail := 0, 0
	for calls := rc.Start; ; calls = min(2*calls, rc.MaxCalls) {
		ok, err := step(calls)
		if err != nil {
			return out, err
		}
		if !ok {
			fail = calls
			break
		}
		pass = calls
		if calls == rc.MaxCalls {
			out.Best, out.Capped = pass, true
			return out, nil
		}
	}
	for len(out.Steps) < maxRampSteps && fail-pass > max(1, pass/8) {
		mid := (pass + fail) / 2
		ok, err := step(mid)
		if err != nil {
			return out, err
		}
		if ok {
			pass = mid
		} else {
			fail = mid
		}
	}
	out.Best = pass
	return out, nil
}

// CPU-bound thresholds: a step is bounded by the CPU when the server and
// the simulator use this share of the cores between them, or when the
// cores are this busy with everything that runs on them (on a shared
// machine, other people's work).
const (
	cpuBoundOurs = 0.85
	cpuBoundBusy = 0.90
)

// Bounds lists what bounds a step: "CPU" when the cores are used up, then
// the pass criteria it missed ("delay", "loss", "late audio", "gaps", "calls"). Empty: the
// step passed with CPU to spare.
func Bounds(r *Result) []string {
	var b []string
	if r.OursShare() >= cpuBoundOurs || r.MachineBusy >= cpuBoundBusy {
		b = append(b, "CPU")
	}
	if r.DelayP99 >= MaxDelayP99 {
		b = append(b, "delay")
	}
	if r.LossPct >= MaxLossPct {
		b = append(b, "loss")
	}
	if r.LateAudio > 0 {
		// Packets in time, audio decoded too late: the media path fell
		// behind the call clock.
		b = append(b, "late audio")
	}
	if r.Intact < r.Calls {
		b = append(b, "gaps")
	}
	if r.CallsHeld < r.Calls {
		b = append(b, "calls")
	}
	return b
}

// boundText is Bounds as the report says it.
func boundText(r *Result) string {
	b := Bounds(r)
	if len(b) == 0 {
		return "bound: nothing (CPU to spare)"
	}
	return "bound: " + strings.Join(b, ", ")
}

// machineText is the step's use of the machine.
func machineText(r *Result) string {
	return fmt.Sprintf("server + simulator %.0f%% of %d cores, the cores %.0f%% busy with everything, load %.2f",
		100*r.OursShare(), r.Cores, 100*r.MachineBusy, r.LoadAvg)
}

func stepVerdict(s RampStep) string {
	r := s.Result
	v := "pass"
	if !s.Pass {
		v = "FAIL (" + s.Why + ")"
	}
	streams, delay := fmt.Sprintf("%d streams", r.Participants), "delay"
	switch r.Transport {
	case TransportMixed:
		streams = fmt.Sprintf("%d streams (%d browsers, %d phones)", r.Participants, r.Participants-r.Phones, r.Phones)
		delay = "browsers' delay"
	case TransportSIP:
		delay = "delay (not measured for phones)"
	}
	line := fmt.Sprintf("%s: %s, loss %.3f%%, %d late, audio late at the recorder %.2f%%, %s p50 %s p99 %s max %s, sender late by up to %s, server %.0f%% + simulator %.0f%% of a core, %.4f CPU-s per participant-minute (floor %.4f quiet, %.4f in the window), %d KiB per call, intact %d/%d, %d clicks",
		v, streams, r.LossPct, r.Late, r.LateAudioPct(), delay, ms(r.DelayP50), ms(r.DelayP99), ms(r.DelayMax), ms(r.SenderMaxLate), 100*r.ServerCores(), 100*r.SimulatorCores(),
		r.CPUPerParticipantMin.Seconds(), r.FloorPerParticipantMin.Seconds(), r.FloorWindow.Seconds(), r.MemPerCall>>10, r.Intact, r.Recordings, r.Clicks)
	line += "; " + boundText(r) + "; " + machineText(r)
	if len(r.Problems) > 0 {
		line += fmt.Sprintf("; first of %d problems: %s", len(r.Problems), r.Problems[0])
	}
	return line
}

// Report writes one line per step, then the outcome.
func (rr *RampResult) Report(w io.Writer) {
	for _, s := range rr.Steps {
		fmt.Fprintf(w, "step %3d calls: %s\n", s.Calls, stepVerdict(s))
	}
	bound := ""
	if rr.Capped {
		bound = " (the cap; the limit is higher)"
	}
	participants := 0
	if len(rr.Steps) > 0 {
		participants = rr.Steps[0].Result.Participants / max(rr.Steps[0].Calls, 1)
	}
	fmt.Fprintf(w, "ramp: best=%d calls × %d participants = %d streams held%s (loss < %.1f%%, p99 delay < %s, no gaps)\n",
		rr.Best, participants, rr.Best*participants, bound, MaxLossPct, ms(MaxDelayP99))
	// The knee: the smallest step that failed.
	var knee *RampStep
	for i, s := range rr.Steps {
		if !s.Pass && (knee == nil || s.Calls < knee.Calls) {
			knee = &rr.Steps[i]
		}
	}
	if knee != nil {
		what := "the CPU"
		if !slices.Contains(Bounds(knee.Result), "CPU") {
			what = "not the CPU"
		}
		fmt.Fprintf(w, "ramp: the knee (%d calls) is %s: %s; %s\n", knee.Calls, what, boundText(knee.Result), machineText(knee.Result))
	}
}
