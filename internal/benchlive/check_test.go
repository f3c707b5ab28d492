package benchlive

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
)

// decodeClip decodes n packets of a clip to 16 kHz, as the server does.
func decodeClip(t *testing.T, c *clip, n int) []int16 {
	t.Helper()
	dec, err := audio.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, audio.MaxPacketSamples)
	var out []int16
	for i := range n {
		k, err := dec.Decode(c.packet(i), pcm)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm[:k]...)
	}
	return out
}

// toneTracks decodes packets of each of n participants' tones, and says
// they were sent from time 0 on.
func toneTracks(t *testing.T, n int, amp float64, packets int) ([]*participant, [][]int16) {
	t.Helper()
	var ps []*participant
	var tracks [][]int16
	start := time.Unix(0, 0)
	for k := range n {
		c, err := toneClip(toneFrequency(k), amp)
		if err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, decodeClip(t, c, packets))
		ps = append(ps, &participant{rawID: "8:acs:p" + string(rune('a'+k)), freq: toneFrequency(k), clip: c,
			sent: packets, first: start, last: start.Add(time.Duration(packets-1) * frameInterval)})
	}
	return ps, tracks
}

// TestCheckFindsMixedTonesAndGaps mixes three decoded tone streams as the
// recorder would, then cuts one 20 ms frame out of one of them: the check
// passes the clean mix and names the participant with the gap.
func TestCheckFindsMixedTonesAndGaps(t *testing.T) {
	const n = 3
	amp := toneAmplitude(n)
	ps, tracks := toneTracks(t, n, amp, 150) // 3 s, two loops
	if again, _ := toneClip(toneFrequency(0), amp); again != ps[0].clip {
		t.Fatal("a tone was encoded twice")
	}
	mix := func(gapIn ...int) []int16 {
		out := make([]int16, len(tracks[0]))
		for k, tr := range tracks {
			for i, v := range tr {
				if slices.Contains(gapIn, k) && i >= 24000 && i < 24320 {
					continue
				}
				out[i] += v
			}
		}
		return out
	}
	if c := checkTracks([][]int16{mix()}, ps, amp); !c.intact() {
		t.Fatalf("clean mix: %s", c.Problem)
	}
	c := checkTracks([][]int16{mix(1)}, ps, amp)
	if c.intact() || !strings.Contains(c.Problem, ps[1].rawID) || c.Tracks[1].Gaps < 1 || c.Tracks[0].Gaps != 0 || c.Tracks[2].Gaps != 0 {
		t.Fatalf("gap in participant 1 gave %q, tracks %+v", c.Problem, c.Tracks)
	}
	// Gaps in two participants: both are named.
	c = checkTracks([][]int16{mix(0, 2)}, ps, amp)
	if c.intact() || !strings.Contains(c.Problem, ps[0].rawID) || !strings.Contains(c.Problem, ps[2].rawID) || c.Gaps != 2 {
		t.Fatalf("gaps in participants 0 and 2 gave %q, %d gaps", c.Problem, c.Gaps)
	}
	// A timing correction cuts 20 samples (1.25 ms) from participant 0:
	// a click, not a gap.
	cut := func() []int16 {
		out := make([]int16, len(tracks[0]))
		for k, tr := range tracks {
			src := tr
			if k == 0 {
				src = append(append([]int16(nil), tr[:24000]...), tr[24020:]...)
			}
			for i := range min(len(out), len(src)) {
				out[i] += src[i]
			}
		}
		return out[:len(tracks[0])-20]
	}
	if c := checkTracks([][]int16{cut()}, ps, amp); !c.intact() || c.Tracks[0].Clicks != 1 || c.Clicks != 1 {
		t.Fatalf("a 1.25 ms cut gave %q, tracks %+v", c.Problem, c.Tracks)
	}
	short := checkTracks([][]int16{mix()[:16000]}, ps, amp)
	if short.intact() || !strings.Contains(short.Problem, "sent") {
		t.Fatalf("1 s of a 3 s stream gave %q", short.Problem)
	}
}

// TestCheckOnsetIsNotAClick places the bare decoder's mix of three tones
// after silence, at every offset of the analysis hop and at levels 1 dB
// apart: the windows straddling the onset (the encoder's start-up, then
// the tone) hover about the threshold, and used to read as present,
// absent, present — a click at the start of a stream, in no sample of
// which anything was cut or inserted (the bench's 1–3 clicks at 10 × 3 on
// an idle machine were all there). A cut of half a period 30 ms after the
// onset is still one click.
func TestCheckOnsetIsNotAClick(t *testing.T) {
	const n = 3
	amp := toneAmplitude(n)
	ps, tracks := toneTracks(t, n, amp, 25)
	const silence = 4000
	mix := func(lead int, gain float64, cutAt int) []int16 {
		out := make([]int16, silence+len(tracks[0]))
		for k, tr := range tracks {
			if k == 1 && cutAt > 0 {
				tr = append(append([]int16(nil), tr[:cutAt]...), tr[cutAt+13:]...)
			}
			for i, v := range tr {
				out[lead+i] += int16(float64(v) * gain)
			}
		}
		return out
	}
	for _, gain := range []float64{0.9, 1, 1.1, 1.2} {
		for lead := silence - analysisHop; lead < silence; lead++ {
			if c := checkTracks([][]int16{mix(lead, gain, 0)}, ps, amp); !c.intact() || c.Clicks != 0 {
				t.Fatalf("onset at %d, gain %.1f: %q, %d clicks %+v", lead, gain, c.Problem, c.Clicks, c.Tracks)
			}
		}
	}
	if c := checkTracks([][]int16{mix(silence-17, 1.1, 480)}, ps, amp); !c.intact() || c.Tracks[1].Clicks != 1 || c.Clicks != 1 {
		t.Fatalf("a half-period cut 30 ms after the onset gave %q, tracks %+v", c.Problem, c.Tracks)
	}
}

// TestCheckUnmixedPicksEachChannel finds each tone on its own channel.
func TestCheckUnmixedPicksEachChannel(t *testing.T) {
	amp := toneAmplitude(1)
	start := time.Unix(0, 0)
	channels := make([][]int16, 5)
	var ps []*participant
	for k, ch := range []int{3, 0} {
		c, err := toneClip(toneFrequency(k), amp)
		if err != nil {
			t.Fatal(err)
		}
		channels[ch] = decodeClip(t, c, 100)
		ps = append(ps, &participant{rawID: "8:acs:u", freq: toneFrequency(k), clip: c,
			sent: 100, first: start, last: start.Add(99 * frameInterval)})
	}
	for i := range channels {
		if channels[i] == nil {
			channels[i] = make([]int16, 32000)
		}
	}
	c := checkTracks(channels, ps, amp)
	if !c.intact() || c.Tracks[0].Channel != 3 || c.Tracks[1].Channel != 0 {
		t.Fatalf("%q, tracks %+v", c.Problem, c.Tracks)
	}
}
