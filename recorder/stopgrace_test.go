package recorder_test

import (
	"math"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// TestStopKeepsAudioStillInFlight: frames for the last 100 ms before a stop
// reach the recorder only after Stop was called (the ingest's reorder delay);
// they are in the file, which still ends at the stop's position.
func TestStopKeepsAudioStillInFlight(t *testing.T) {
	r := newRig(t, nil)
	r.start("rec-grace", callrec.RecordingSpec{})
	r.play(1.0, voice{id: "a", freq: 440, amp: 8000, from: 0, to: 1.0})
	inFlightFrom := r.pos()
	r.play(0.1) // the clock moves on; the frames of this 100 ms are late

	type result struct {
		chunks []callrec.Chunk
	}
	done := make(chan result, 1)
	go func() { done <- result{r.stop("rec-grace", "sessionEnded")} }()
	time.Sleep(50 * time.Millisecond)
	buf := make([]int16, callrec.FrameSamples)
	for p := inFlightFrom; p < inFlightFrom+5*callrec.FrameSamples; p += callrec.FrameSamples {
		for i := range buf {
			n := p + int64(i) - r.pos0
			buf[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(n)/callrec.SampleRate))
		}
		r.src.frame(callrec.Frame{Participant: "a", Pos: p, Samples: buf})
	}
	res := <-done
	if len(res.chunks) != 1 {
		t.Fatalf("chunks %+v", res.chunks)
	}
	a := r.audio(res.chunks[0].DocumentID)
	if got, want := a.Frames(), int64(1.1*callrec.SampleRate); got != want {
		t.Fatalf("file has %d samples, want %d (ends at the stop)", got, want)
	}
	expectSpans(t, "a", a.Channels[0], 440, [2]float64{0, 1.1})
}
