package recorder_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/container/mp3/mp3test"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/recorder"
)

// testClock is a wall clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// testSource is a MediaSource for one call whose frames the test pushes.
type testSource struct {
	mu   sync.Mutex
	now  int64
	subs map[int]callrec.MediaSubscriber
	next int
}

func (s *testSource) Subscribe(callID string, sub callrec.MediaSubscriber) callrec.MediaSubscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs == nil {
		s.subs = map[int]callrec.MediaSubscriber{}
	}
	id := s.next
	s.next++
	s.subs[id] = sub
	return callrec.MediaSubscription{Pos: s.now, Cancel: func() { s.mu.Lock(); delete(s.subs, id); s.mu.Unlock() }}
}

func (s *testSource) Budget() callmedia.Budget { return callmedia.DefaultBudget }

func (s *testSource) frame(f callrec.Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		sub.OnFrame(f)
	}
}

func (s *testSource) event(e callrec.ParticipantEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		sub.OnParticipantEvent(e)
	}
}

// call simulates a call on a call clock at 16 kHz whose origin is wall time
// t0 at position pos0.
type call struct {
	t     *testing.T
	clock *testClock
	src   *testSource
	t0    time.Time
	pos0  int64
	step  int64 // frames played so far
	buf   []int16
}

const callID = "aHR0cHM6Ly9jYWxs"

func newCall(t *testing.T) *call {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c := &call{t: t, clock: &testClock{t: t0}, src: &testSource{now: 1_600_000}, t0: t0, pos0: 1_600_000}
	c.buf = make([]int16, callrec.FrameSamples)
	return c
}

// pos returns the call-clock position at the call's current time.
func (c *call) pos() int64 { return c.pos0 + c.step*callrec.FrameSamples }

// voice is a participant's tone over call-time [from, to) seconds.
type voice struct {
	id       string
	freq     float64
	amp      float64
	from, to float64
}

// play advances the call by seconds, each 20 ms delivering a frame of the
// frame that just ended for every voice active then, and moving the clock.
func (c *call) play(seconds float64, voices ...voice) {
	steps := int64(math.Round(seconds * 50))
	for range steps {
		start := c.pos()
		c.step++
		c.clock.Set(c.t0.Add(time.Duration(c.step) * 20 * time.Millisecond))
		c.src.mu.Lock()
		c.src.now = c.pos()
		c.src.mu.Unlock()
		for _, v := range voices {
			sec := float64(start-c.pos0) / callrec.SampleRate
			if sec < v.from || sec >= v.to {
				continue
			}
			for i := range c.buf {
				n := start + int64(i) - c.pos0
				c.buf[i] = int16(v.amp * math.Sin(2*math.Pi*v.freq*float64(n)/callrec.SampleRate))
			}
			c.src.frame(callrec.Frame{Participant: v.id, Pos: start, Samples: c.buf})
		}
	}
}

type rig struct {
	*call
	eng   *recorder.Engine
	store *blob.Bucket
	dir   string
}

func newRig(t *testing.T, mod func(*recorder.Config)) *rig {
	t.Helper()
	c := newCall(t)
	dir := t.TempDir()
	store, err := blob.OpenDir(dir + "/blobs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := recorder.Config{
		DataDir: dir, Blob: store, Media: c.src, Clock: c.clock.Now,
		ResourceID: "res-1", QueueFrames: 1 << 14,
	}
	if mod != nil {
		mod(&cfg)
	}
	eng, err := recorder.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return &rig{call: c, eng: eng, store: store, dir: dir}
}

func (r *rig) start(id string, spec callrec.RecordingSpec) {
	r.t.Helper()
	spec.ServerCallID = callID
	if spec.Content == "" {
		spec.Content = callrec.ContentAudio
	}
	if spec.Format == "" {
		spec.Format = callrec.FormatWav
	}
	if spec.Channel == "" {
		spec.Channel = callrec.ChannelMixed
	}
	state := callrec.StateActive
	if spec.PauseOnStart {
		state = callrec.StateInactive
	}
	if err := r.eng.Start(context.Background(), &callrec.Recording{ID: id, Spec: spec, State: state, StartedAt: r.clock.Now()}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) flush(id string) {
	r.t.Helper()
	if err := r.eng.Flush(context.Background(), id); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) stop(id, reason string) []callrec.Chunk {
	r.t.Helper()
	chunks, err := r.eng.Stop(context.Background(), id, reason)
	if err != nil {
		r.t.Fatal(err)
	}
	return chunks
}

// audio downloads and decodes a chunk through the ContentStore: a WAV
// directly, an MP3 with ffmpeg (to 16 kHz mono).
func (r *rig) audio(docID string) *wav.Audio {
	r.t.Helper()
	c, err := r.eng.OpenContent(context.Background(), docID, callrec.PartAudio)
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	if c.ContentType == "audio/mpeg" {
		return decodeMP3(r.t, c)
	}
	a, err := wav.Read(c)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// decodeMP3 decodes an MP3 stream with ffmpeg into one channel of samples.
func decodeMP3(t *testing.T, r io.Reader) *wav.Audio {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	pcm := mp3test.Decode(t, b)
	f := wav.Format{SampleRate: callrec.SampleRate, Channels: 1}
	return &wav.Audio{Info: wav.Info{Format: f, DataBytes: int64(len(pcm) * 2)}, Channels: [][]int16{pcm}}
}

func (r *rig) metadata(docID string) recorder.Metadata {
	r.t.Helper()
	c, err := r.eng.OpenContent(context.Background(), docID, callrec.PartMetadata)
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	b, _ := io.ReadAll(c)
	var m recorder.Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		r.t.Fatalf("metadata %s: %v", b, err)
	}
	return m
}

// goertzel returns the power of freq in x relative to x's total power
// (1 for a pure tone at freq, about 0 when absent), and x's RMS level.
func goertzel(x []int16, freq float64) (ratio, rms float64) {
	w := 2 * math.Pi * freq / callrec.SampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2, energy float64
	for _, v := range x {
		f := float64(v)
		s0 := f + coeff*s1 - s2
		s2, s1 = s1, s0
		energy += f * f
	}
	if energy == 0 {
		return 0, 0
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	n := float64(len(x))
	return 2 * p / (n * energy), math.Sqrt(energy / n)
}

// tones reports, for consecutive 100 ms windows of ch, whether freq is
// present (its share of the power above 0.2 and level above 300).
func tones(ch []int16, freq float64) []bool {
	const win = callrec.SampleRate / 10
	var out []bool
	for i := 0; i+win <= len(ch); i += win {
		r, rms := goertzel(ch[i:i+win], freq)
		out = append(out, r > 0.2 && rms > 300)
	}
	return out
}

// expectSpans checks that freq is present in ch exactly in the windows
// inside the given [from, to) second spans, tolerating the window at each
// edge (so edges are checked to 100 ms; onsetAt checks them to the sample).
func expectSpans(t *testing.T, name string, ch []int16, freq float64, spans ...[2]float64) {
	t.Helper()
	got := tones(ch, freq)
	for i, present := range got {
		lo, hi := float64(i)/10, float64(i+1)/10
		want, edge := false, false
		for _, s := range spans {
			if lo >= s[0]-1e-9 && hi <= s[1]+1e-9 {
				want = true
			}
			if (lo < s[0] && hi > s[0]) || (lo < s[1] && hi > s[1]) {
				edge = true
			}
		}
		if !edge && present != want {
			t.Errorf("%s: %.0f Hz at %.1f–%.1f s: present=%v, want %v", name, freq, lo, hi, present, want)
		}
	}
}

// onsetAt returns the first sample index whose magnitude exceeds thresh.
func onsetAt(ch []int16, thresh int16) int {
	for i, v := range ch {
		if v > thresh || v < -thresh {
			return i
		}
	}
	return -1
}

func seconds(a *wav.Audio) float64 { return float64(a.Frames()) / callrec.SampleRate }

var mathSin = math.Sin
