package recorder_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/recorder"
)

func TestMixedCutPauseAndLateJoin(t *testing.T) {
	r := newRig(t, nil)
	a := voice{id: "8:acs:alice", freq: 440, amp: 8000, from: 0, to: 6}
	b := voice{id: "8:acs:bob", freq: 1000, amp: 8000, from: 2, to: 6}
	r.start("rec-mixed", callrec.RecordingSpec{})
	r.play(3, a, b)
	if err := r.eng.Pause(context.Background(), "rec-mixed"); err != nil {
		t.Fatal(err)
	}
	r.play(1, a, b)
	if err := r.eng.Resume(context.Background(), "rec-mixed"); err != nil {
		t.Fatal(err)
	}
	r.play(2, a, b)
	chunks := r.stop("rec-mixed", callrec.EndReasonSessionEnded)

	if len(chunks) != 1 {
		t.Fatalf("%d chunks, want 1", len(chunks))
	}
	c := chunks[0]
	if c.Index != 0 || c.EndReason != "sessionEnded" || c.DurationMs != 5000 || !c.StartTime.Equal(r.t0) {
		t.Errorf("chunk %+v", c)
	}
	au := r.audio(c.DocumentID)
	if au.Format.Channels != 1 || au.Frames() != 5*callrec.SampleRate {
		t.Fatalf("%d channels, %d frames; want 1 channel of 5 s (the paused second cut)", au.Format.Channels, au.Frames())
	}
	expectSpans(t, "mixed", au.Channels[0], 440, [2]float64{0, 5})
	expectSpans(t, "mixed", au.Channels[0], 1000, [2]float64{2, 5})

	m := r.metadata(c.DocumentID)
	if m.ResourceID != "res-1" || m.CallID != callID || m.ChunkDocumentID != c.DocumentID || m.ChunkIndex != 0 {
		t.Errorf("metadata ids %+v", m)
	}
	if m.ChunkDuration != 5000 || m.ChunkStartTime != "2026-11-26T10:00:00.0000000Z" {
		t.Errorf("chunk start %s duration %v", m.ChunkStartTime, m.ChunkDuration)
	}
	if len(m.PauseResumeIntervals) != 1 || m.PauseResumeIntervals[0].StartTime != "2026-11-26T10:00:03.0000000Z" ||
		m.PauseResumeIntervals[0].Duration != 1000 {
		t.Errorf("pauses %+v", m.PauseResumeIntervals)
	}
	want := recorder.RecordingInfo{ContentType: "audio", ChannelType: "mixed", Format: "wav",
		AudioConfiguration: recorder.AudioConfiguration{SampleRate: 16000, BitRate: 256000, Channels: 1}}
	if m.RecordingInfo != want {
		t.Errorf("recordingInfo %+v", m.RecordingInfo)
	}
	if len(m.Participants) != 2 || m.Participants[0].ParticipantID != a.id || m.Participants[1].ParticipantID != b.id ||
		m.Participants[0].Channel != nil {
		t.Errorf("participants %+v", m.Participants)
	}
	content, err := r.eng.OpenContent(context.Background(), c.DocumentID, callrec.PartAudio)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(content)
	content.Close()
	sum := sha256.Sum256(raw)
	if hex.EncodeToString(sum[:]) != m.SHA256 || m.SHA256 != c.SHA256 {
		t.Errorf("sha256: content %x, metadata %s, chunk %s", sum, m.SHA256, c.SHA256)
	}
}

func TestMixedSumSaturates(t *testing.T) {
	r := newRig(t, nil)
	// Two loud voices in phase: the sum would wrap around without saturation.
	r.start("rec-loud", callrec.RecordingSpec{})
	r.play(1, voice{id: "a", freq: 500, amp: 24000, to: 1}, voice{id: "b", freq: 500, amp: 24000, to: 1})
	chunks := r.stop("rec-loud", callrec.EndReasonSessionEnded)
	x := r.audio(chunks[0].DocumentID).Channels[0]
	clipped := 0
	for i, v := range x {
		single := int16(24000 * sin(500, i))
		if single > 17000 && v != 32767 {
			t.Fatalf("sample %d: %d, want clipped to 32767 (single voice %d)", i, v, single)
		}
		if single < -17000 && v != -32768 {
			t.Fatalf("sample %d: %d, want clipped to -32768", i, v)
		}
		if (single > 0 && v < 0) || (single < 0 && v > 0) {
			t.Fatalf("sample %d wrapped around: %d for a single voice of %d", i, v, single)
		}
		if v == 32767 {
			clipped++
		}
	}
	if clipped == 0 {
		t.Fatal("no clipping in a sum of two 24000 tones")
	}
}

func TestSilencePauseAndPauseOnStart(t *testing.T) {
	r := newRig(t, nil)
	a := voice{id: "a", freq: 700, amp: 8000, from: 0, to: 10}
	r.start("rec-silence", callrec.RecordingSpec{PauseBehavior: callrec.PauseSilence})
	r.start("rec-onstart", callrec.RecordingSpec{PauseOnStart: true})
	r.play(1, a)
	r.eng.Pause(context.Background(), "rec-silence")
	r.eng.Resume(context.Background(), "rec-onstart")
	r.play(1, a)
	r.eng.Resume(context.Background(), "rec-silence")
	r.play(2, a)

	sil := r.stop("rec-silence", callrec.EndReasonSessionEnded)
	au := r.audio(sil[0].DocumentID)
	if seconds(au) != 4 {
		t.Fatalf("silence pause: %.3f s, want 4 s (pause kept as silence)", seconds(au))
	}
	expectSpans(t, "silence", au.Channels[0], 700, [2]float64{0, 1}, [2]float64{2, 4})
	if _, rms := goertzel(au.Channels[0][16000:32000], 700); rms != 0 {
		t.Errorf("paused span has level %.1f, want digital silence", rms)
	}
	if p := r.metadata(sil[0].DocumentID).PauseResumeIntervals; len(p) != 1 || p[0].Duration != 1000 {
		t.Errorf("silence pause intervals %+v", p)
	}

	on := r.stop("rec-onstart", callrec.EndReasonCallEnded)
	au = r.audio(on[0].DocumentID)
	if seconds(au) != 3 || on[0].EndReason != "callEnded" {
		t.Fatalf("pauseOnStart: %.3f s, %s; want 3 s, callEnded", seconds(au), on[0].EndReason)
	}
	expectSpans(t, "pauseOnStart", au.Channels[0], 700, [2]float64{0, 3})
	m := r.metadata(on[0].DocumentID)
	if p := m.PauseResumeIntervals; len(p) != 1 || p[0].Duration != 1000 || p[0].StartTime != "2026-11-26T10:00:00.0000000Z" {
		t.Errorf("pauseOnStart intervals %+v", p)
	}
}

func TestUnmixedChannelRules(t *testing.T) {
	r := newRig(t, func(c *recorder.Config) { c.MaxUnmixedChannels = 3 })
	A := voice{id: "A", freq: 400, amp: 6000, from: 0, to: 1}
	A2 := voice{id: "A", freq: 400, amp: 6000, from: 2, to: 3} // rejoins
	B := voice{id: "B", freq: 800, amp: 6000, from: 0.5, to: 3}
	C := voice{id: "C", freq: 1200, amp: 6000, from: 0, to: 3}
	D := voice{id: "D", freq: 1600, amp: 6000, from: 1, to: 3}
	E := voice{id: "E", freq: 2000, amp: 6000, from: 1.5, to: 3}
	r.start("rec-unmixed", callrec.RecordingSpec{
		Channel:         callrec.ChannelUnmixed,
		ChannelAffinity: []callrec.ChannelAffinity{{Channel: 2, Participant: "C"}},
		ChannelOrder:    []string{"B"},
	})
	r.src.event(callrec.ParticipantEvent{Kind: callrec.ParticipantJoined, Participant: "A", Pos: r.pos()})
	r.play(3, A, A2, B, C, D, E)
	chunks := r.stop("rec-unmixed", callrec.EndReasonSessionEnded)
	au := r.audio(chunks[0].DocumentID)
	if au.Format.Channels != 3 || !au.Extensible || seconds(au) != 3 {
		t.Fatalf("%d channels (extensible %v), %.3f s; want 3 extensible channels of 3 s", au.Format.Channels, au.Extensible, seconds(au))
	}
	// B reserved by ordering takes channel 0, A (first to join) the lowest
	// free one, C is pinned to 2; D and E, beyond the limit, share channel 2.
	expectSpans(t, "ch0", au.Channels[0], 800, [2]float64{0.5, 3})
	expectSpans(t, "ch0", au.Channels[0], 400)
	expectSpans(t, "ch1", au.Channels[1], 400, [2]float64{0, 1}, [2]float64{2, 3})
	expectSpans(t, "ch1", au.Channels[1], 800)
	expectSpans(t, "ch2", au.Channels[2], 1200, [2]float64{0, 3})
	expectSpans(t, "ch2", au.Channels[2], 1600, [2]float64{1, 3})
	expectSpans(t, "ch2", au.Channels[2], 2000, [2]float64{1.5, 3})
	expectSpans(t, "ch2", au.Channels[2], 400)
	// Late join lands on the right sample; absence is digital silence.
	if on := onsetAt(au.Channels[0], 0); on < 8000 || on > 8002 {
		t.Errorf("B starts at sample %d, want 8000", on)
	}
	if on := onsetAt(au.Channels[1][16000:], 0); on < 16000 || on > 16002 {
		t.Errorf("A rejoins at sample %d after leaving, want 16000", 16000+on)
	}
	m := r.metadata(chunks[0].DocumentID)
	got := map[string][2]int{}
	for _, p := range m.Participants {
		if p.Channel == nil {
			t.Fatalf("unmixed participant %s without channel", p.ParticipantID)
		}
		shared := 0
		if p.SharedChannel {
			shared = 1
		}
		got[p.ParticipantID] = [2]int{*p.Channel, shared}
	}
	want := map[string][2]int{"A": {1, 0}, "B": {0, 0}, "C": {2, 0}, "D": {2, 1}, "E": {2, 1}}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("participant %s: channel/shared %v, want %v", k, got[k], v)
		}
	}
	if m.RecordingInfo.AudioConfiguration != (recorder.AudioConfiguration{SampleRate: 16000, BitRate: 768000, Channels: 3}) {
		t.Errorf("audioConfiguration %+v", m.RecordingInfo.AudioConfiguration)
	}
}

func TestLateAndDuplicateFramesDropped(t *testing.T) {
	r := newRig(t, func(c *recorder.Config) { c.Window = time.Second })
	a := voice{id: "a", freq: 600, amp: 8000, from: 0, to: 3}
	r.start("rec-late", callrec.RecordingSpec{})
	r.play(1, a)
	// A duplicate of the last frame.
	frame := make([]int16, callrec.FrameSamples)
	for i := range frame {
		frame[i] = 20000
	}
	r.src.frame(callrec.Frame{Participant: "a", Pos: r.pos() - callrec.FrameSamples, Samples: frame})
	r.play(2, a) // the 1 s window forces the commit point to about 2 s
	// A frame for 0.5 s, long committed, from someone new.
	r.src.frame(callrec.Frame{Participant: "z", Pos: r.pos0 + 8000, Samples: frame})
	// A frame an hour ahead of the call clock: a broken sender.
	r.src.frame(callrec.Frame{Participant: "a", Pos: r.pos() + 3600*16000, Samples: frame})
	r.flush("rec-late")
	st, err := r.eng.Stats("rec-late")
	if err != nil {
		t.Fatal(err)
	}
	if st.DuplicateSamples != callrec.FrameSamples || st.LateSamples != callrec.FrameSamples ||
		st.FutureSamples != callrec.FrameSamples || st.QueueDropped != 0 {
		t.Errorf("stats %+v, want one duplicate, one late and one future frame", st)
	}
	chunks := r.stop("rec-late", callrec.EndReasonSessionEnded)
	au := r.audio(chunks[0].DocumentID)
	if seconds(au) != 3 {
		t.Fatalf("%.3f s recorded, want 3 s", seconds(au))
	}
	expectSpans(t, "late", au.Channels[0], 600, [2]float64{0, 3})
	for i, v := range au.Channels[0] {
		if v > 8001 {
			t.Fatalf("sample %d = %d: a dropped frame was mixed in", i, v)
		}
	}
}

func sin(freq float64, n int) float64 {
	return mathSin(2 * 3.141592653589793 * freq * float64(n) / callrec.SampleRate)
}
