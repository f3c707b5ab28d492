package ingest_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/ingest"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/jointoken"
	"github.com/callrec/callrec/simulate"
)

// harness is a real callrec node (SQLite, call service, REST edge, media
// ingest) on loopback, with ICE restricted to 127.0.0.1.
type harness struct {
	node   *testserver.Server
	ingest *ingest.Server
	hub    *callmedia.Hub
	url    string
	key    []byte
}

func startHarness(t *testing.T) *harness {
	t.Helper()
	node := testserver.Start(t)
	key, err := hmacauth.DecodeKey(node.App.AccessKey)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{node: node, ingest: node.App.Ingest, hub: node.App.Hub, url: node.URL, key: key}
}

func (h *harness) createCall(t *testing.T) string {
	t.Helper()
	c, err := h.node.App.Service.CreateCall(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return c.ServerCallID
}

func (h *harness) token(callID, rawID string) string {
	tok, _ := jointoken.Mint(h.key, callID, rawID, time.Hour, time.Now())
	return tok
}

// options returns simulator options for one participant of callID.
func (h *harness) options(callID, rawID, source string, d time.Duration) simulate.Options {
	return simulate.Options{
		Endpoint: h.url, Token: h.token(callID, rawID), CallID: callID, Participant: rawID,
		Source: source, Duration: d, SettingEngine: simulate.LoopbackSettingEngine(),
	}
}

// capture is a MediaSubscriber that keeps everything it receives.
type capture struct {
	mu     sync.Mutex
	frames map[string][]callrec.Frame
	events []callrec.ParticipantEvent
	// delays are, per frame, how long after the wall time of its last
	// sample it was delivered (samples).
	delays []int64
	// the subscription's call-clock origin
	subPos  int64
	subTime time.Time
}

func subscribe(t *testing.T, src callrec.MediaSource, callID string) *capture {
	c := &capture{frames: map[string][]callrec.Frame{}}
	c.subTime = time.Now()
	sub := src.Subscribe(callID, c)
	c.subPos = sub.Pos
	t.Cleanup(sub.Cancel)
	return c
}

func (c *capture) OnFrame(f callrec.Frame) {
	now := time.Now()
	f.Samples = slices.Clone(f.Samples)
	c.mu.Lock()
	c.frames[f.Participant] = append(c.frames[f.Participant], f)
	c.delays = append(c.delays, c.positionOf(now)-(f.Pos+callrec.FrameSamples))
	c.mu.Unlock()
}

// delayPercentile returns the p-th percentile of delivery delays.
func (c *capture) delayPercentile(p float64) time.Duration {
	c.mu.Lock()
	d := slices.Clone(c.delays)
	c.mu.Unlock()
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	v := d[min(len(d)-1, int(p/100*float64(len(d))))]
	return time.Duration(v) * time.Second / callrec.SampleRate
}

func (c *capture) OnParticipantEvent(e callrec.ParticipantEvent) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

// positionOf maps a wall time to the call clock, through the subscription.
func (c *capture) positionOf(t time.Time) int64 {
	return c.subPos + int64(t.Sub(c.subTime))*callrec.SampleRate/int64(time.Second)
}

// track returns a participant's frames, checked for continuity, as one
// signal starting at the returned position.
func (c *capture) track(t *testing.T, rawID string) (start int64, pcm []int16) {
	t.Helper()
	c.mu.Lock()
	frames := slices.Clone(c.frames[rawID])
	c.mu.Unlock()
	if len(frames) == 0 {
		t.Fatalf("%s: no frames", rawID)
	}
	for i, f := range frames {
		if len(f.Samples) != callrec.FrameSamples {
			t.Fatalf("%s: frame %d has %d samples", rawID, i, len(f.Samples))
		}
		if i > 0 && f.Pos != frames[i-1].Pos+callrec.FrameSamples {
			t.Fatalf("%s: frame %d at %d follows %d: gap or repeated time", rawID, i, f.Pos, frames[i-1].Pos)
		}
		pcm = append(pcm, f.Samples...)
	}
	return frames[0].Pos, pcm
}

func (c *capture) eventKinds(rawID string) []callrec.ParticipantEventKind {
	c.mu.Lock()
	defer c.mu.Unlock()
	var kinds []callrec.ParticipantEventKind
	for _, e := range c.events {
		if e.Participant == rawID {
			kinds = append(kinds, e.Kind)
		}
	}
	return kinds
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// toneAt checks the frequency and level of the last second of pcm.
func checkTone(t *testing.T, who string, pcm []int16, freq float64) {
	t.Helper()
	if len(pcm) < callrec.SampleRate {
		t.Fatalf("%s: only %d samples", who, len(pcm))
	}
	last := pcm[len(pcm)-callrec.SampleRate:]
	got, ratio := audio.DetectTone(last, callrec.SampleRate, audio.CommonTones)
	if got != freq || ratio < 100 {
		t.Errorf("%s: detected %v Hz (ratio %.0f), want %v Hz", who, got, ratio, freq)
	}
}
