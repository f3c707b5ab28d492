package ingest

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

// Config configures a Server.
type Config struct {
	// Hub is the call media core participants publish into. Required.
	Hub *callmedia.Hub
	// Calls records joins and leaves and says whether a call exists and is
	// active. Required.
	Calls callrec.CallService
	// AccessKey is the service's access key (decoded bytes); join tokens
	// are verified with it. Required.
	AccessKey []byte
	// Media is the WebRTC side: which local addresses media uses and which
	// are advertised. Its PollInterval and Logger are set by the server.
	Media rtcrecv.Config
	// Latency is the reorder window: how long a packet may wait for a
	// missing predecessor. Zero means 120 ms.
	Latency time.Duration
	// Registerer receives the ingest metrics (the node's one registry); nil
	// counts them without serving them.
	Registerer prometheus.Registerer
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// mediaPollInterval is how long a media worker sleeps between drains of
// its sockets.
const mediaPollInterval = 20 * time.Millisecond

func (c *Config) validate() error {
	if c.Hub == nil {
		return errors.New("ingest: Config.Hub is required")
	}
	if c.Calls == nil {
		return errors.New("ingest: Config.Calls is required")
	}
	if len(c.AccessKey) == 0 {
		return errors.New("ingest: Config.AccessKey is required")
	}
	if c.Latency <= 0 {
		c.Latency = time.Duration(defaultLatency) * time.Second / callrec.SampleRate
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Media.PollInterval = mediaPollInterval
	c.Media.Logger = c.Logger
	return nil
}

// frameDelay bounds how long after the wall time of its call-clock
// position a frame is delivered, for a reorder window of window: the
// window, one frame, the wait for the next decode burst and one media poll
// (network delay comes on top).
func frameDelay(window time.Duration) time.Duration {
	return window + time.Second/50 + decodeDelay + mediaPollInterval
}

// checkBudget returns an error unless the server keeps to the hub's
// latency budget, with its configured window and with a window grown to
// maxLatency.
func (c *Config) checkBudget() error {
	maxWindow := time.Duration(maxLatency) * time.Second / callrec.SampleRate
	if c.Latency > maxWindow {
		return errors.New("ingest: Latency " + c.Latency.String() + " is above the largest reorder window " + maxWindow.String())
	}
	return c.Hub.Budget().CheckPublisher("ingest", frameDelay(c.Latency), frameDelay(maxWindow))
}
