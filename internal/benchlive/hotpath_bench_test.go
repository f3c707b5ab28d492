package benchlive

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/recorder"
)

// frameSource is a MediaSource for one offline call: the benchmark hands
// frames straight to the recording's subscriber.
type frameSource struct {
	mu  sync.Mutex
	sub callrec.MediaSubscriber
}

func (s *frameSource) Subscribe(_ string, sub callrec.MediaSubscriber) callrec.MediaSubscription {
	s.mu.Lock()
	s.sub = sub
	s.mu.Unlock()
	return callrec.MediaSubscription{Cancel: func() { s.mu.Lock(); s.sub = nil; s.mu.Unlock() }}
}

func (s *frameSource) Budget() callmedia.Budget { return callmedia.DefaultBudget }

// BenchmarkDecodeAndRecordFrame is the server's per-frame work after the
// transport: decode one 20 ms Opus packet of the benchmark's tones to
// 16 kHz, hand the frame to a live recording (mixed, 3 participants), and
// let the recording's owner mix it and write it to its WAV spool. One op
// is one participant's frame; run with -benchmem for allocations per
// frame.
func BenchmarkDecodeAndRecordFrame(b *testing.B) {
	for _, unmixed := range []bool{false, true} {
		name := "mixed"
		if unmixed {
			name = "unmixed"
		}
		b.Run(name, func(b *testing.B) { benchDecodeAndRecord(b, 3, unmixed) })
	}
}

func benchDecodeAndRecord(b *testing.B, n int, unmixed bool) {
	ctx := context.Background()
	dir := b.TempDir()
	store, err := blob.OpenDir(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	var clockMu sync.Mutex
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	src := &frameSource{}
	eng, err := recorder.New(recorder.Config{DataDir: dir, Blob: store, Media: src, QueueFrames: 64 * n,
		Clock: func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	spec := callrec.RecordingSpec{ServerCallID: "bench", Content: callrec.ContentAudio, Format: callrec.FormatWav, Channel: callrec.ChannelMixed}
	if unmixed {
		spec.Channel = callrec.ChannelUnmixed
	}
	if err := eng.Start(ctx, &callrec.Recording{ID: "bench", Spec: spec, StartedAt: t0}); err != nil {
		b.Fatal(err)
	}
	clipsOf := make([]*clip, n)
	decs := make([]*audio.OpusDecoder, n)
	names := make([]string, n)
	for p := range n {
		if clipsOf[p], err = toneClip(toneFrequency(p), toneAmplitude(n)); err != nil {
			b.Fatal(err)
		}
		if decs[p], err = audio.NewOpusDecoder(); err != nil {
			b.Fatal(err)
		}
		names[p] = "8:acs:p" + strconv.Itoa(p)
	}
	pcm := make([]int16, audio.MaxPacketSamples)
	frame := func(k int) {
		clockMu.Lock()
		now = t0.Add(time.Duration(k+1) * frameInterval)
		clockMu.Unlock()
		for p, d := range decs {
			m, err := d.Decode(clipsOf[p].packet(k), pcm)
			if err != nil {
				b.Fatal(err)
			}
			src.sub.OnFrame(callrec.Frame{Participant: names[p], Pos: int64(k) * callrec.FrameSamples, Samples: pcm[:m]})
		}
		if k%32 == 31 { // a live call is paced by time; keep the queue bounded
			if err := eng.Flush(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	}
	for k := range 500 { // warm up: buffers, the spool file, the ring
		frame(k)
	}
	b.ReportAllocs()
	b.ResetTimer()
	frames := (b.N + n - 1) / n
	for k := range frames {
		frame(500 + k)
	}
	b.StopTimer()
	st, err := eng.Stats("bench")
	if err != nil {
		b.Fatal(err)
	}
	if st.QueueDropped+st.LateSamples+st.DuplicateSamples > 0 {
		b.Fatalf("the recording dropped audio: %+v", st)
	}
	if _, err := eng.Stop(ctx, "bench", callrec.EndReasonSessionEnded); err != nil {
		b.Fatal(err)
	}
}
