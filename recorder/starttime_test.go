package recorder_test

import (
	"math"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/recorder"
)

// lateSubscriber is the real call media core, with the subscriber's
// goroutine held up right after it subscribes, as a loaded machine does.
type lateSubscriber struct {
	*callmedia.Hub
	delay time.Duration
}

func (l lateSubscriber) Subscribe(callID string, s callrec.MediaSubscriber) callrec.MediaSubscription {
	sub := l.Hub.Subscribe(callID, s)
	time.Sleep(l.delay)
	return sub
}

// TestChunkStartTimeIsTheFirstSample: chunkStartTime is the wall time of
// the recording's first sample, however long the recorder took after it
// subscribed: a participant's tone lands in the file where its call-clock
// position says, measured from chunkStartTime. Before the fix the recorder
// read its clock after subscribing, and a delay there (43 ms seen on a
// loaded 2-core machine) shifted chunkStartTime, pauses and stops against
// the audio.
func TestChunkStartTimeIsTheFirstSample(t *testing.T) {
	store, hub := storeAndHub(t)
	eng, err := recorder.New(recorder.Config{DataDir: t.TempDir(), Blob: store, Media: lateSubscriber{hub, 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	const callID = "start-time"
	leg := &hangup{}
	p, err := hub.Attach(callID, "8:acs:alice", leg, nil)
	if err != nil {
		t.Fatal(err)
	}
	leg.p = p
	defer hub.Hangup(t.Context(), callID)
	rec := &callrec.Recording{ID: callID, StartedAt: time.Now(), State: callrec.StateActive, Spec: callrec.RecordingSpec{
		ServerCallID: callID, Content: callrec.ContentAudio, Format: callrec.FormatWav, Channel: callrec.ChannelMixed}}
	if err := eng.Start(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	clock := p.Clock()
	start := clock.Position(time.Now())
	buf := make([]int16, callrec.FrameSamples)
	for f := range 25 {
		pos := start + int64(f)*callrec.FrameSamples
		for k := range buf {
			buf[k] = int16(8000 * math.Sin(2*math.Pi*440*float64(pos+int64(k))/callrec.SampleRate))
		}
		p.Push(pos, buf)
	}
	time.Sleep(700 * time.Millisecond) // the clock passes the frames
	chunks, err := eng.Stop(t.Context(), callID, "sessionEnded")
	if err != nil || len(chunks) != 1 {
		t.Fatalf("stop: %v, %d chunks", err, len(chunks))
	}
	r := &rig{call: &call{t: t}, eng: eng}
	md := r.metadata(chunks[0].DocumentID)
	chunkStart, err := time.Parse(time.RFC3339Nano, md.ChunkStartTime)
	if err != nil {
		t.Fatal(err)
	}
	toneAt := clock.Epoch.Add(time.Duration(start) * time.Second / callrec.SampleRate)
	want := float64(toneAt.Sub(chunkStart)) / float64(time.Second) * callrec.SampleRate
	got := audio.FirstAbove(r.audio(chunks[0].DocumentID).Channels[0], 0.05)
	// A sine from phase 0 crosses 0.05 within two samples; the metadata's
	// time is rounded to 100 ns.
	if math.Abs(float64(got)-want) > 16 {
		t.Errorf("the tone starts at sample %d; its position, measured from chunkStartTime %s, is sample %.0f", got, md.ChunkStartTime, want)
	}
}
