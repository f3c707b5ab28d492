package recorder_test

import (
	"context"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/recorder"
)

// A mixed MP3 recording holds what a WAV one would: the paused second cut,
// the late joiner at its time, exact durations, chunks that roll over, and
// ACS's metadata for mp3 (48 kbps).
func TestMixedMP3CutPauseAndChunks(t *testing.T) {
	r := newRig(t, func(c *recorder.Config) { c.ChunkMaxDuration = 3 * time.Second })
	a := voice{id: "8:acs:alice", freq: 440, amp: 8000, from: 0, to: 7}
	b := voice{id: "8:acs:bob", freq: 1000, amp: 8000, from: 2, to: 7}
	r.start("rec-mp3", callrec.RecordingSpec{Format: callrec.FormatMp3})
	r.play(2.5, a, b)
	if err := r.eng.Pause(context.Background(), "rec-mp3"); err != nil {
		t.Fatal(err)
	}
	r.play(1, a, b)
	if err := r.eng.Resume(context.Background(), "rec-mp3"); err != nil {
		t.Fatal(err)
	}
	r.play(3.5, a, b)
	chunks := r.stop("rec-mp3", callrec.EndReasonSessionEnded)

	// 6 s recorded (7 s less the paused second), in chunks of 3 s.
	if len(chunks) != 2 || chunks[0].DurationMs != 3000 || chunks[1].DurationMs != 3000 ||
		chunks[0].EndReason != recorder.EndReasonChunkMaxTime || chunks[1].EndReason != "sessionEnded" {
		t.Fatalf("chunks %+v", chunks)
	}
	var all []int16
	for _, c := range chunks {
		content, err := r.eng.OpenContent(context.Background(), c.DocumentID, callrec.PartAudio)
		if err != nil {
			t.Fatal(err)
		}
		if content.ContentType != "audio/mpeg" {
			t.Errorf("content type %q", content.ContentType)
		}
		content.Close()
		au := r.audio(c.DocumentID)
		if au.Frames() != 3*callrec.SampleRate {
			t.Errorf("chunk %d decodes to %d samples, want 3 s exactly", c.Index, au.Frames())
		}
		all = append(all, au.Channels[0]...)

		m := r.metadata(c.DocumentID)
		want := recorder.RecordingInfo{ContentType: "audio", ChannelType: "mixed", Format: "mp3",
			AudioConfiguration: recorder.AudioConfiguration{SampleRate: 16000, BitRate: 48000, Channels: 1}}
		if m.RecordingInfo != want || m.ChunkDuration != 3000 || m.SHA256 != c.SHA256 {
			t.Errorf("chunk %d metadata %+v", c.Index, m)
		}
	}
	expectSpans(t, "mp3", all, 440, [2]float64{0, 6})
	expectSpans(t, "mp3", all, 1000, [2]float64{2, 6})
	// Bob starts at 2 s to within 2 ms: no encoder delay, nothing lost at the
	// chunk boundary.
	if got := onsetAt(highpass(all), 2500); got < 2*callrec.SampleRate || got > 2*callrec.SampleRate+32 {
		t.Errorf("bob's onset at sample %d, want %d", got, 2*callrec.SampleRate)
	}
}

// highpass keeps what changes faster than the 440 Hz tone: a first
// difference, which lifts 1000 Hz above it.
func highpass(x []int16) []int16 {
	out := make([]int16, len(x))
	for i := 1; i < len(x); i++ {
		out[i] = int16(max(min(int32(x[i])-int32(x[i-1]), 32767), -32768))
	}
	return out
}
