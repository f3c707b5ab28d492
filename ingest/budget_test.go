package ingest_test

import (
	"testing"
	"time"

	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/ingest"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

// The WebRTC transport delivers frames within the call media core's
// latency budget, or refuses to start: a reorder window that would make it
// later than the budget (which the recorder waits for) is an error at
// construction, not a comment.
func TestNewRefusesAReorderWindowOutsideTheMediaBudget(t *testing.T) {
	h := startHarness(t)
	build := func(hub *callmedia.Hub, latency time.Duration) error {
		srv, err := ingest.New(ingest.Config{Hub: hub, Calls: h.node.App.Service, AccessKey: h.key,
			Media: rtcrecv.Config{LoopbackOnly: true}, Latency: latency})
		if err == nil {
			if srv.FrameDelay() > hub.Budget().Delay {
				t.Errorf("FrameDelay %v is beyond the budget %v", srv.FrameDelay(), hub.Budget().Delay)
			}
			srv.Close(t.Context())
		}
		return err
	}
	if err := build(h.hub, 0); err != nil {
		t.Errorf("default window: %v", err)
	}
	if err := build(h.hub, 200*time.Millisecond); err == nil {
		t.Error("a 200 ms window (300 ms of delay) was accepted under a 250 ms budget")
	}
	tight, err := callmedia.New(callmedia.Config{Budget: callmedia.Budget{Delay: 250 * time.Millisecond, MaxDelay: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := build(tight, 0); err == nil {
		t.Error("a window that may grow to 300 ms was accepted under a 300 ms max delay")
	}
}
