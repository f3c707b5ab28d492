package rtcrecv

import (
	"testing"
	"time"
)

// TestFeedbackPacing: feedback every 100 ms until a rate is known, then
// spaced to 5 % of the received bitrate within 50–250 ms, as libwebrtc.
func TestFeedbackPacing(t *testing.T) {
	for _, c := range []struct {
		name          string
		bitsPerSecond int
		want          time.Duration
	}{
		{"opus 32 kbit/s", 32_000, feedbackMaxInterval},
		{"audio and video, 1 Mbit/s", 1_000_000, feedbackMinInterval},
		{"90 kbit/s", 90_000, 121 * time.Millisecond}, // 544 bits / 4.5 kbit/s
	} {
		t.Run(c.name, func(t *testing.T) {
			var f feedbackPacer
			now := time.Unix(1000, 0)
			if !f.due(now) {
				t.Fatal("the first feedback is not due at once")
			}
			var sent []time.Duration
			last := now
			for range 200 { // 4 s of 20 ms ticks, one packet of the rate each
				now = now.Add(20 * time.Millisecond)
				f.received(c.bitsPerSecond / 8 / 50)
				if f.due(now) {
					sent = append(sent, now.Sub(last))
					last = now
				}
			}
			if sent[0] != feedbackDefault {
				t.Errorf("first interval %v, want %v", sent[0], feedbackDefault)
			}
			got := sent[len(sent)-1]
			if got < c.want-20*time.Millisecond || got > c.want+20*time.Millisecond {
				t.Errorf("settled interval %v, want %v (±one tick); all: %v", got, c.want, sent)
			}
		})
	}
}

// TestFeedbackWithoutMedia: a peer that sends nothing keeps the default.
func TestFeedbackWithoutMedia(t *testing.T) {
	var f feedbackPacer
	now := time.Unix(1000, 0)
	f.due(now)
	if f.due(now.Add(99 * time.Millisecond)) {
		t.Fatal("due before the default interval")
	}
	if !f.due(now.Add(100 * time.Millisecond)) {
		t.Fatal("not due at the default interval")
	}
}
