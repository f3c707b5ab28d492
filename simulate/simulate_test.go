package simulate

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
)

func decodeClip(t *testing.T, c *Clip, n int) []int16 {
	t.Helper()
	dec, err := audio.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var out []int16
	pcm := make([]int16, audio.MaxPacketSamples)
	for i := range n {
		k, err := dec.Decode(c.Packet(i), pcm)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm[:k]...)
	}
	return out
}

func TestToneClipLoopsSeamlessly(t *testing.T) {
	c, err := LoadClip("tone:550")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := LoadClip("tone:550"); again != c {
		t.Fatal("the clip was encoded twice")
	}
	// 3 s of playback is 60 packets plus two loops.
	pcm := decodeClip(t, c, 150)
	for _, second := range [][]int16{pcm[16000:32000], pcm[32000:48000]} {
		if f, ratio := audio.DetectTone(second, 16000, audio.CommonTones); f != 550 || ratio < 100 {
			t.Fatalf("detected %v Hz (ratio %.0f)", f, ratio)
		}
		if db := audio.DBFS(audio.RMS(second)); db < -10.5 || db > -7.5 {
			t.Fatalf("level %.1f dBFS, want about -9", db)
		}
	}
}

func TestSilenceAndWAVSources(t *testing.T) {
	c, err := LoadClip("silence")
	if err != nil {
		t.Fatal(err)
	}
	if p := audio.Peak(decodeClip(t, c, 60)); p > 0.001 {
		t.Fatalf("silence peaks at %.4f", p)
	}
	path := filepath.Join(t.TempDir(), "stereo16k.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	mono := audio.Sine(880, 0.5, 16000, 32000)
	stereo := make([]int16, 0, 2*len(mono))
	for _, s := range mono {
		stereo = append(stereo, s, s)
	}
	if err := audio.WriteWAV(f, audio.PCM{Rate: 16000, Channels: 2, Samples: stereo}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c, err = LoadClip(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Packets) != 100 || c.LoopFrom != 0 {
		t.Fatalf("2 s file gave %d packets, loop from %d", len(c.Packets), c.LoopFrom)
	}
	pcm := decodeClip(t, c, 100)
	if fr, ratio := audio.DetectTone(pcm[16000:], 16000, audio.CommonTones); fr != 880 || ratio < 100 {
		t.Fatalf("WAV source: detected %v Hz (ratio %.0f)", fr, ratio)
	}
	for _, bad := range []string{"", "tone:", "tone:-5", "tone:abc", "noise", filepath.Join(t.TempDir(), "missing.wav")} {
		if _, err := LoadClip(bad); err == nil {
			t.Errorf("source %q accepted", bad)
		}
	}
}

func TestSendPlanJitter(t *testing.T) {
	start := time.Unix(1000, 0)
	const total = 1000
	plan := NewSendPlan(start, 30*time.Millisecond, 42)
	var order []int
	for now := start; ; now = now.Add(time.Millisecond) {
		send := plan.Ready(now, total)
		for _, i := range send {
			// Never before its due time, never more than the jitter after.
			if due := plan.Due(i); now.Before(due) || now.After(due.Add(30*time.Millisecond+time.Millisecond)) {
				t.Fatalf("packet %d sent at %v, due %v", i, now.Sub(start), due.Sub(start))
			}
		}
		order = append(order, send...)
		if _, more := plan.Wake(total); !more {
			break
		}
	}
	if len(order) != total {
		t.Fatalf("%d sent of %d", len(order), total)
	}
	if slices.IsSorted(order) {
		t.Fatal("30 ms of jitter reordered nothing")
	}
	sorted := slices.Clone(order)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(order) {
		t.Fatal("a packet was sent twice")
	}
}
