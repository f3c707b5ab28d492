package ingest_test

import (
	"context"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/simulate"
)

type tonePart struct {
	rawID string
	freq  float64
}

var threeTones = []tonePart{
	{"8:acs:callrec_alice", 440},
	{"8:acs:callrec_bob", 660},
	{"4:+14255550123", 880},
}

// joinAll runs one simulated participant per part, staggered by stagger,
// and waits for all of them.
func joinAll(t *testing.T, h *harness, callID string, parts []tonePart, d, stagger time.Duration,
	tweak func(*simulate.Options)) map[string]simulate.Result {
	t.Helper()
	var mu sync.Mutex
	results := map[string]simulate.Result{}
	var wg sync.WaitGroup
	for i, p := range parts {
		o := h.options(callID, p.rawID, "tone:"+formatHz(p.freq), d)
		if tweak != nil {
			tweak(&o)
		}
		wg.Go(func() {
			time.Sleep(time.Duration(i) * stagger)
			res, err := simulate.Join(context.Background(), o)
			if err != nil {
				t.Errorf("%s: %v", p.rawID, err)
			}
			mu.Lock()
			results[p.rawID] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return results
}

func formatHz(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestThreeParticipantsLineUp is the acceptance test of issue 3: three
// simulated participants at 440, 660 and 880 Hz join one call, staggered;
// from the decoded frames we check each one's frequency, level and start
// offset against when its simulator began sending.
func TestThreeParticipantsLineUp(t *testing.T) {
	h := startHarness(t)
	callID := h.createCall(t)
	rec := subscribe(t, h.hub, callID)

	results := joinAll(t, h, callID, threeTones, 3*time.Second, 400*time.Millisecond, nil)
	for _, p := range threeTones {
		waitFor(t, 5*time.Second, p.rawID+" left", func() bool {
			k := rec.eventKinds(p.rawID)
			return len(k) > 0 && k[len(k)-1] == callrec.ParticipantLeft
		})
	}
	for _, p := range threeTones {
		start, pcm := rec.track(t, p.rawID)
		checkTone(t, p.rawID, pcm, p.freq)

		// Level: the median frame level of the steady part (after the
		// encoder's start-up, before the end); the median ignores the odd
		// frame concealed when a loaded machine delays a packet too long.
		mid := pcm[callrec.SampleRate/2 : 2*callrec.SampleRate]
		want := simulate.ToneAmplitude / math.Sqrt2
		level := medianFrameDBFS(mid)
		if math.Abs(level-audio.DBFS(want)) > 1 {
			t.Errorf("%s: level %.2f dBFS, want %.2f ±1 dB", p.rawID, level, audio.DBFS(want))
		}

		// Start offset: the first sample of the tone against the moment the
		// simulator began sending, on the call clock: from when packet 0
		// was due to when it was really written (a loaded machine delays
		// the sender, and the stream sits where its packets arrived).
		onset := audio.FirstAbove(pcm, 0.1)
		if onset < 0 {
			t.Fatalf("%s: no onset", p.rawID)
		}
		got := start + int64(onset)
		res := results[p.rawID]
		want0 := rec.positionOf(res.Started)
		offsetMs := float64(got-want0) * 1000 / callrec.SampleRate
		lateMs := float64(res.FirstSent.Sub(res.Started)) / float64(time.Millisecond)
		t.Logf("%s: %v Hz, level %.2f dBFS, onset %.1f ms after packet 0 was due (written %.1f ms after), %d frames",
			p.rawID, p.freq, level, offsetMs, lateMs, len(pcm)/callrec.FrameSamples)
		if offsetMs < -20 || offsetMs > lateMs+20 {
			t.Errorf("%s: onset %.1f ms from when packet 0 was due, want from 0 to %.1f ms (when it was written) ± 20 ms", p.rawID, offsetMs, lateMs)
		}
	}
	t.Logf("frame delivery delay after real time: median %s, p99 %s, max %s (FrameDelay %s)",
		rec.delayPercentile(50), rec.delayPercentile(99), rec.delayPercentile(100), h.ingest.FrameDelay())
	kinds := rec.eventKinds(threeTones[0].rawID)
	if len(kinds) != 2 || kinds[0] != callrec.ParticipantJoined || kinds[1] != callrec.ParticipantLeft {
		t.Errorf("events of %s: %v, want [joined left]", threeTones[0].rawID, kinds)
	}
}

// medianFrameDBFS returns the median level of pcm's 20 ms frames.
func medianFrameDBFS(pcm []int16) float64 {
	var levels []float64
	for off := 0; off+callrec.FrameSamples <= len(pcm); off += callrec.FrameSamples {
		levels = append(levels, audio.DBFS(audio.RMS(pcm[off:off+callrec.FrameSamples])))
	}
	slices.Sort(levels)
	return levels[len(levels)/2]
}
