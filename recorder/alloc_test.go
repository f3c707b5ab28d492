package recorder

import (
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/container/wav"
)

type discardFile struct{}

func (discardFile) Write(p []byte) (int, error)            { return len(p), nil }
func (discardFile) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
func (discardFile) Sync() error                            { return nil }

type wavSink struct{ w *wav.Writer }

func (s wavSink) write(_ int64, x []int16, _ int) error { return s.w.Write(x) }
func (s wavSink) silence(_ int64, n int64) error        { return s.w.WriteSilence(n) }

// The per-frame path, from the media callback through the timeline to WAV
// bytes, allocates nothing in steady state.
func TestPerFramePathDoesNotAllocate(t *testing.T) {
	s := &session{queue: make(chan item, 8), free: make(chan *frameBuf, 4)}
	for range 4 {
		s.free <- &frameBuf{samples: make([]int16, 0, callrec.FrameSamples)}
	}
	frame := callrec.Frame{Participant: "p", Samples: make([]int16, callrec.FrameSamples)}
	if n := testing.AllocsPerRun(1000, func() {
		s.OnFrame(frame)
		it := <-s.queue
		s.free <- it.frame
	}); n != 0 {
		t.Errorf("OnFrame allocates %.1f times per frame", n)
	}

	w, err := wav.NewWriter(discardFile{}, wav.Format{SampleRate: callrec.SampleRate, Channels: 5})
	if err != nil {
		t.Fatal(err)
	}
	tl := newTimeline(0, 5, callrec.SampleRate, true, wavSink{w})
	tl.pauses = []pause{{Start: 1000, End: 2000}}
	pos := int64(0)
	step := func() {
		for ch := range 5 {
			if _, err := tl.add(ch, pos, frame.Samples); err != nil {
				t.Fatal(err)
			}
		}
		pos += callrec.FrameSamples
		if pos%(10*callrec.FrameSamples) == 0 {
			if err := tl.commit(pos - 5*callrec.FrameSamples); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 100 { // warm up buffers
		step()
	}
	if n := testing.AllocsPerRun(1000, step); n != 0 {
		t.Errorf("timeline add/commit/WAV write allocates %.2f times per frame", n)
	}
}
