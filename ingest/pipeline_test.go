package ingest

import (
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
)

var (
	toneOnce    sync.Once
	tonePackets [][]byte
)

// tone440 returns 5 s of a 440 Hz tone as real 20 ms Opus packets; played in
// a loop, its phase is continuous (2200 whole cycles).
func tone440(t testing.TB) [][]byte {
	t.Helper()
	toneOnce.Do(func() {
		enc, err := audio.NewOpusEncoder(48000, 32000)
		if err != nil {
			t.Fatal(err)
		}
		tonePackets, err = enc.EncodeAll(audio.Sine(440, 0.5, 48000, 5*48000))
		if err != nil {
			t.Fatal(err)
		}
	})
	return tonePackets
}

type recorded struct {
	frames []callrec.Frame
	mutes  []bool
}

func newTestPipeline(t testing.TB) (*pipeline, *recorded) {
	t.Helper()
	dec, err := audio.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	r := &recorded{}
	p := newPipeline(dec, defaultLatency, nil,
		func(pos int64, s []int16) {
			r.frames = append(r.frames, callrec.Frame{Pos: pos, Samples: slices.Clone(s)})
		},
		func(muted bool, _ int64) { r.mutes = append(r.mutes, muted) })
	return p, r
}

// signal checks that frames are contiguous and returns them as one signal.
func (r *recorded) signal(t testing.TB) (start int64, pcm []int16) {
	t.Helper()
	if len(r.frames) == 0 {
		t.Fatal("no frames")
	}
	for i, f := range r.frames {
		if i > 0 && f.Pos != r.frames[i-1].Pos+callrec.FrameSamples {
			t.Fatalf("frame %d at %d follows %d", i, f.Pos, r.frames[i-1].Pos)
		}
		pcm = append(pcm, f.Samples...)
	}
	return r.frames[0].Pos, pcm
}

// sent is one packet as a sender would emit it, with its arrival position.
type sent struct {
	ssrc    uint32
	seq     uint16
	ts      uint32
	payload []byte
	arrival int64
}

// feed pushes packets in slice order (the arrival order) and ticks every
// 20 ms of call clock in between, then lets the reorder window run out.
func feed(p *pipeline, packets []sent) int64 {
	var now int64
	for _, s := range packets {
		for now+callrec.FrameSamples <= s.arrival {
			now += callrec.FrameSamples
			p.tick(now)
		}
		now = max(now, s.arrival)
		p.push(&rtp.Packet{Header: rtp.Header{SSRC: s.ssrc, SequenceNumber: s.seq, Timestamp: s.ts}, Payload: s.payload}, s.arrival)
	}
	return now
}

// stream makes n packets of the tone with the given first sequence number
// and timestamp, arriving every 20 ms (plus delay).
func stream(t testing.TB, ssrc uint32, seq0 uint16, ts0 uint32, n int, start, delay int64) []sent {
	pk := tone440(t)
	out := make([]sent, n)
	for i := range out {
		out[i] = sent{ssrc: ssrc, seq: seq0 + uint16(i), ts: ts0 + uint32(i*960), payload: pk[i%len(pk)],
			arrival: start + int64(i)*callrec.FrameSamples + delay}
	}
	return out
}

func checkTone440(t *testing.T, pcm []int16) {
	t.Helper()
	last := pcm[len(pcm)-callrec.SampleRate:]
	if f, ratio := audio.DetectTone(last, callrec.SampleRate, audio.CommonTones); f != 440 || ratio < 100 {
		t.Fatalf("detected %v Hz (ratio %.0f), want 440", f, ratio)
	}
}

func TestPipelineInOrderStartsAtArrival(t *testing.T) {
	p, r := newTestPipeline(t)
	now := feed(p, stream(t, 1, 100, 5000, 100, 1000, 37))
	p.finish(now)
	start, pcm := r.signal(t)
	if start != 1037 {
		t.Fatalf("first frame at %d, want 1037 (the first arrival)", start)
	}
	if len(r.frames) != 100 {
		t.Fatalf("%d frames for 100 packets", len(r.frames))
	}
	checkTone440(t, pcm)
	if p.stats.Lost != 0 || p.stats.Concealed != 0 || p.stats.Late != 0 {
		t.Fatalf("stats %+v", p.stats)
	}
}

func TestPipelineWrapsSequenceAndTimestamp(t *testing.T) {
	p, r := newTestPipeline(t)
	// Both counters wrap about 1 s in.
	now := feed(p, stream(t, 1, 65535-50, math.MaxUint32-50*960+1, 150, 0, 0))
	p.finish(now)
	_, pcm := r.signal(t)
	if len(r.frames) != 150 || p.stats.Lost != 0 || p.stats.Reanchors != 0 {
		t.Fatalf("%d frames, stats %+v", len(r.frames), p.stats)
	}
	checkTone440(t, pcm)
}

func TestPipelineReordersAndConceals(t *testing.T) {
	p, r := newTestPipeline(t)
	packets := stream(t, 1, 10, 0, 200, 0, 0)
	// Swap neighbours every 10 packets (the later one overtakes by 5 ms),
	// and lose packets 50, 51 and 120.
	for i := 5; i+1 < len(packets); i += 10 {
		packets[i].arrival, packets[i+1].arrival = packets[i+1].arrival, packets[i].arrival-5*16
		packets[i], packets[i+1] = packets[i+1], packets[i]
	}
	var kept []sent
	for i, s := range packets {
		if i != 50 && i != 51 && i != 120 {
			kept = append(kept, s)
		}
	}
	now := feed(p, kept)
	p.finish(now)
	_, pcm := r.signal(t)
	if len(r.frames) != 200 {
		t.Fatalf("%d frames for 200 packets sent", len(r.frames))
	}
	if p.stats.Lost != 3 || p.stats.Concealed != 3 || p.stats.Late != 0 {
		t.Fatalf("stats %+v, want 3 lost and concealed", p.stats)
	}
	// Concealment continues the tone rather than dropping to silence.
	if rms := audio.RMS(pcm[50*callrec.FrameSamples : 52*callrec.FrameSamples]); rms < 0.05 {
		t.Fatalf("concealed frames RMS %.3f: silent", rms)
	}
	checkTone440(t, pcm)
}

func TestPipelineNewSSRCContinuesTimeline(t *testing.T) {
	p, r := newTestPipeline(t)
	first := stream(t, 1, 100, 1000, 60, 0, 0)
	second := stream(t, 2, 40000, 7777777, 90, 60*callrec.FrameSamples, 0)
	now := feed(p, append(first, second...))
	p.finish(now)
	_, pcm := r.signal(t)
	if p.stats.SSRCChanges != 1 || len(r.frames) != 150 {
		t.Fatalf("%d frames, stats %+v", len(r.frames), p.stats)
	}
	checkTone440(t, pcm)
}

func TestPipelineDTXGapIsSilence(t *testing.T) {
	p, r := newTestPipeline(t)
	a := stream(t, 1, 0, 0, 50, 0, 0)
	// The sender pauses for 800 ms (DTX): sequence numbers continue, the
	// timestamp and arrival jump.
	b := stream(t, 1, 50, 90*960, 75, 90*callrec.FrameSamples, 0)
	now := feed(p, append(a, b...))
	p.finish(now)
	_, pcm := r.signal(t)
	if len(r.frames) != 165 {
		t.Fatalf("%d frames, want 165 (50 + 40 of silence + 75)", len(r.frames))
	}
	gap := pcm[51*callrec.FrameSamples : 89*callrec.FrameSamples]
	if audio.Peak(gap) != 0 || p.stats.Lost != 0 || p.stats.Concealed != 0 {
		t.Fatalf("gap peak %.4f, stats %+v", audio.Peak(gap), p.stats)
	}
	if len(r.mutes) != 0 {
		t.Fatalf("an 800 ms pause is not a mute: %v", r.mutes)
	}
	checkTone440(t, pcm)
}

func TestPipelineMuteWhenMediaStops(t *testing.T) {
	p, r := newTestPipeline(t)
	now := feed(p, stream(t, 1, 0, 0, 50, 0, 0))
	for range 100 { // 2 s without packets
		now += callrec.FrameSamples
		p.tick(now)
	}
	now = feed(p, stream(t, 1, 50, 150*960, 50, now, 0))
	p.finish(now)
	r.signal(t)
	if !slices.Equal(r.mutes, []bool{true, false}) {
		t.Fatalf("mute events %v, want [muted unmuted]", r.mutes)
	}
}

func TestPipelineDropsDuplicatesAndLatePackets(t *testing.T) {
	p, r := newTestPipeline(t)
	packets := stream(t, 1, 0, 0, 100, 0, 0)
	dup := packets[30]
	dup.arrival = packets[31].arrival
	late := packets[60]
	late.arrival = packets[60].arrival + 2*defaultLatency // long after its window
	var order []sent
	for i, s := range packets {
		if i == 60 {
			continue
		}
		order = append(order, s)
		if i == 31 {
			order = append(order, dup)
		}
		if late.arrival >= s.arrival && (i+1 == len(packets) || late.arrival < packets[i+1].arrival) {
			order = append(order, late)
		}
	}
	now := feed(p, order)
	p.finish(now)
	r.signal(t)
	// The duplicate came after its original was released, so it counts as
	// late, like the packet that missed its window (which counts as lost).
	if len(r.frames) != 100 || p.stats.Late != 2 || p.stats.Lost != 1 || p.stats.Concealed != 1 {
		t.Fatalf("%d frames, stats %+v", len(r.frames), p.stats)
	}
}

func TestPipelineTimestampJumpReanchors(t *testing.T) {
	p, r := newTestPipeline(t)
	a := stream(t, 1, 0, 0, 50, 0, 0)
	// Same SSRC and sequence, but the timestamp leaps by about 12 hours.
	b := stream(t, 1, 50, 50*960+0x7fff0000, 50, 50*callrec.FrameSamples, 0)
	now := feed(p, append(a, b...))
	p.finish(now)
	r.signal(t)
	if p.stats.Reanchors != 1 || len(r.frames) != 100 {
		t.Fatalf("%d frames, stats %+v", len(r.frames), p.stats)
	}
}

func TestPipelineSkipsPaddingOnlyPackets(t *testing.T) {
	p, r := newTestPipeline(t)
	packets := stream(t, 1, 0, 0, 100, 0, 0)
	// Chromium-style padding bursts: they take sequence numbers, carry no
	// audio, and reuse the previous timestamp.
	var order []sent
	seq := uint16(0)
	for i, s := range packets {
		s.seq = seq
		seq++
		order = append(order, s)
		if i%25 == 24 {
			for range 3 {
				order = append(order, sent{ssrc: 1, seq: seq, ts: s.ts, arrival: s.arrival})
				seq++
			}
		}
	}
	now := feed(p, order)
	p.finish(now)
	_, pcm := r.signal(t)
	if len(r.frames) != 100 || p.stats.Padding != 12 || p.stats.Lost != 0 || p.stats.Concealed != 0 {
		t.Fatalf("%d frames, stats %+v", len(r.frames), p.stats)
	}
	checkTone440(t, pcm)
}

// TestPipelineFollowsClockDrift: a sender whose clock runs 0.2% fast or
// slow (far more than real hardware, to see it in 30 s) sends 20 ms packets
// every 19.96 ms (or 20.04 ms). The mapping follows its drift: frames stay contiguous and keep
// up with arrivals instead of drifting ahead of them.
func TestPipelineFollowsClockDrift(t *testing.T) {
	for _, ppm := range []float64{-2000, 2000} {
		p, r := newTestPipeline(t)
		const n = 1500 // 30 s
		packets := stream(t, 1, 0, 0, n, 0, 0)
		for i := range packets {
			packets[i].arrival = int64(math.Round(float64(i*callrec.FrameSamples) * (1 - ppm/1e6)))
		}
		now := feed(p, packets)
		// Where the last packet's audio ends, versus when it arrived.
		lag := p.fr.Cursor() - (packets[n-1].arrival + callrec.FrameSamples)
		p.finish(now)
		_, pcm := r.signal(t)
		checkTone440(t, pcm)
		t.Logf("%+.0f ppm: drift corrected by %d samples (%.1f ms) over 30 s; end lag %d samples; packets stretched %d, squeezed %d, cut %d; seams %d",
			ppm, p.stats.Drift, float64(p.stats.Drift)/16, lag, p.stats.Stretched, p.stats.Squeezed, p.stats.Cut, seams(pcm))
		// The corrections are spread over whole packets: none is a sample
		// held or cut at a seam, which the tone would show as a step.
		if p.stats.Cut != 0 || p.stats.Stretched+p.stats.Squeezed == 0 {
			t.Errorf("%+.0f ppm: %d packets cut, %d stretched, %d squeezed: want every correction spread", ppm, p.stats.Cut, p.stats.Stretched, p.stats.Squeezed)
		}
		if n, base := seams(pcm), steadySeams(t); n > base {
			t.Errorf("%+.0f ppm: %d steps in the tone's waveform, %d without drift", ppm, n, base)
		}
		// 2000 ppm over 30 s is 960 samples; corrections lag by up to
		// three 2 s windows (192 samples).
		if want := -ppm / 1e6 * 30 * callrec.SampleRate; math.Abs(float64(p.stats.Drift)-want) > 250 {
			t.Errorf("%+.0f ppm: corrected %d samples, want about %.0f", ppm, p.stats.Drift, want)
		}
		if lag < -250 || lag > 250 {
			t.Errorf("%+.0f ppm: audio ends %d samples from its arrival", ppm, lag)
		}
	}
}

// TestRTPClockOverAnHour checks the mapping alone over an hour of a sender
// 100 ppm off in either direction, with ±5 ms of jitter: its error stays
// within a few milliseconds throughout.
func TestRTPClockOverAnHour(t *testing.T) {
	for _, ppm := range []float64{-100, 100} {
		c := newRTPClock(opusRTPRate)
		var ts tsUnwrapper
		worst := int64(0)
		const n = 180000 // one hour of 20 ms packets
		for i := range n {
			stamp := ts.unwrap(uint32(0xfff00000 + i*960)) // wraps after ~22 s
			jitter := int64((i * 7919) % 160)              // deterministic 0–10 ms
			arrival := int64(math.Round(float64(i*callrec.FrameSamples)*(1+ppm/1e6))) + jitter
			c.observe(stamp, arrival)
			if i == 5 {
				c.fix()
			}
			if i > 1000 {
				worst = max(worst, abs64(arrival-jitter-c.position(stamp)))
			}
		}
		t.Logf("%+.0f ppm over 1 h: corrections %d samples (%.0f ms), worst error %.1f ms",
			ppm, c.corrections, float64(c.corrections)/16, float64(worst)/16)
		if worst > 3*callrec.SampleRate/1000 {
			t.Errorf("%+.0f ppm: mapping error reached %.1f ms", ppm, float64(worst)/16)
		}
	}
}

func TestPipelineRecoversSingleLossesFromFEC(t *testing.T) {
	enc, err := audio.NewOpusEncoder(48000, 32000)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.EnableFEC(20); err != nil {
		t.Fatal(err)
	}
	packets, err := enc.EncodeAll(audio.Sine(440, 0.5, 48000, 3*48000))
	if err != nil {
		t.Fatal(err)
	}
	p, r := newTestPipeline(t)
	var kept []sent
	for i, pk := range packets {
		if i == 40 || i == 80 || i == 120 {
			continue
		}
		kept = append(kept, sent{ssrc: 1, seq: uint16(i), ts: uint32(i * 960), payload: pk, arrival: int64(i) * callrec.FrameSamples})
	}
	now := feed(p, kept)
	p.finish(now)
	_, pcm := r.signal(t)
	if len(r.frames) != 150 || p.stats.Lost != 3 || p.stats.Recovered+p.stats.Concealed != 3 || p.stats.Recovered == 0 {
		t.Fatalf("%d frames, stats %+v: want 3 lost, rebuilt from FEC", len(r.frames), p.stats)
	}
	checkTone440(t, pcm)
}

// TestPipelineWindowGrowsForLatePackets: a sender whose packets suddenly
// come 200 ms later than before (a stalled sender or an overloaded path,
// beyond the 120 ms reorder window) loses the audio of one hole at the
// jump; the window then grows to take the new delay, and no later packet is
// late.
func TestPipelineWindowGrowsForLatePackets(t *testing.T) {
	p, r := newTestPipeline(t)
	const n, jump = 500, 100
	packets := stream(t, 1, 0, 0, n, 0, 0)
	for i := jump; i < n; i++ {
		packets[i].arrival += 200 * callrec.SampleRate / 1000
	}
	now := feed(p, packets)
	p.finish(now)
	_, pcm := r.signal(t)
	checkTone440(t, pcm)
	silent := 0
	for _, f := range r.frames[jump-10:] {
		if audio.RMS(f.Samples) < 0.01 {
			silent++
		}
	}
	t.Logf("window %d ms, %d late packets, %d silent frames after the jump", p.stats.Window/16, p.stats.Late, silent)
	if p.stats.Window < 200*callrec.SampleRate/1000 {
		t.Errorf("window %d samples, want it grown past the 200 ms delay", p.stats.Window)
	}
	if p.stats.Late > 5 {
		t.Errorf("%d late packets, want only those of the hole at the jump", p.stats.Late)
	}
	if silent > 15 {
		t.Errorf("%d silent frames after the jump, want one hole of at most 15", silent)
	}
}

// steadySeams is seams of the same stream without drift: the steps the
// encoded tone has of itself.
func steadySeams(t *testing.T) int {
	p, r := newTestPipeline(t)
	packets := stream(t, 1, 0, 0, 1500, 0, 0)
	for i := range packets {
		packets[i].arrival = int64(i * callrec.FrameSamples)
	}
	p.finish(feed(p, packets))
	_, pcm := r.signal(t)
	return seams(pcm)
}

// seams counts the places where a steady tone's waveform steps: its second
// difference (curvature) jumps past twice the most a sine of the tone's
// level and frequency has, as where a sample is held or dropped. The first
// and last second of the signal (settling, the padded end) are skipped.
func seams(pcm []int16) int {
	peak := 0.0
	for _, v := range pcm[callrec.SampleRate : len(pcm)-callrec.SampleRate] {
		peak = math.Max(peak, math.Abs(float64(v)))
	}
	w := 2 * math.Pi * 440 / callrec.SampleRate
	limit := 2 * peak * w * w
	n := 0
	for i := callrec.SampleRate; i < len(pcm)-callrec.SampleRate; i++ {
		if d2 := float64(pcm[i+1]) - 2*float64(pcm[i]) + float64(pcm[i-1]); math.Abs(d2) > limit+0.3*peak*w {
			n++
		}
	}
	return n
}
