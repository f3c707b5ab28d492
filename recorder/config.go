package recorder

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/container/wav"
)

// Config configures an Engine. Zero fields take the defaults in brackets.
type Config struct {
	// DataDir holds the spool of live recordings (DataDir/spool). Required.
	DataDir string
	// Blob stores finished chunks and their metadata. Required.
	Blob blob.Store
	// Media delivers calls' decoded audio: the call media core. Required
	// for Start.
	Media MediaSource
	// MaxUnmixedChannels is the number of channels of unmixed files [5].
	MaxUnmixedChannels int
	// ChunkMaxDuration ends a chunk after this much audio [4h].
	ChunkMaxDuration time.Duration
	// ChunkMaxBytes ends a chunk before its WAV data passes this size
	// [4 000 000 000; at most wav.MaxDataBytes].
	ChunkMaxBytes int64
	// Durability bounds the age of audio not yet synced to disk [1s].
	Durability time.Duration
	// Lateness is how far behind the call clock frames may arrive [the
	// media budget's MaxDelay, 450 ms]: the publishers' reorder window at
	// its largest plus a frame, decoding, network jitter and scheduling
	// slack. It must be at least that, and less than Durability.
	Lateness time.Duration
	// StopGrace is how long Stop keeps taking frames for the audio spoken
	// before the stop, which reaches the recorder after the publishers'
	// delivery delay [the media budget's Delay, 250 ms]; it must be at least
	// that, and below Lateness.
	StopGrace time.Duration
	// Window is how far ahead of the commit point frames are buffered [4s].
	Window time.Duration
	// QueueFrames is the number of frames buffered between the media
	// pipeline and a recording's owner goroutine [1024]; beyond it frames are
	// dropped and counted.
	QueueFrames int
	// Retention deletes published content older than this; 0 keeps it until
	// deleted. RetentionEvery is how often to sweep [Retention/10, at most 1h].
	Retention      time.Duration
	RetentionEvery time.Duration
	// ReserveBytes is the size of the space reserve kept beside the spool
	// (DataDir/space-reserve) and given up when the disk fills, so that a
	// recording can still end cleanly: its journal, metadata document, the
	// database's commit of the stop and its events [8 MiB; negative: none].
	ReserveBytes int64
	// UploadInterval is how often the part of the live chunk written since
	// the last time is uploaded as a staged part (stage.go) [30s; negative:
	// never].
	UploadInterval time.Duration
	// UploadRetryMin is the wait after a chunk's first failed upload,
	// doubled after each further failure up to UploadRetryMax [1s, 1m].
	UploadRetryMin, UploadRetryMax time.Duration
	// ResourceID is the metadata document's resourceId.
	ResourceID string
	// Region is the region part of document ids ["loc"].
	Region string
	// Clock returns the wall time [time.Now].
	Clock func() time.Time
	// Registerer receives the engine's metrics [none: counted, not served].
	Registerer prometheus.Registerer
	// Logger [slog.Default()].
	Logger *slog.Logger
}

// Default values.
const (
	DefaultChunkMaxDuration = 4 * time.Hour
	DefaultChunkMaxBytes    = 4_000_000_000
	DefaultDurability       = time.Second
	DefaultWindow           = 4 * time.Second
	DefaultQueueFrames      = 1024
	DefaultReserveBytes     = 8 << 20
	DefaultUploadInterval   = 30 * time.Second
	DefaultUploadRetryMin   = time.Second
	DefaultUploadRetryMax   = time.Minute
)

// MediaSource is what the engine reads calls' media from: the call media
// core (callmedia.Hub), or a stand-in in tests and benchmarks.
type MediaSource interface {
	callrec.MediaSource
	// Budget is how late the source's frames may come; the engine's
	// Lateness and StopGrace must cover it.
	Budget() callmedia.Budget
}

func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		return c, errors.New("recorder: Config.DataDir is required")
	}
	if c.Blob == nil {
		return c, errors.New("recorder: Config.Blob is required")
	}
	if c.MaxUnmixedChannels == 0 {
		c.MaxUnmixedChannels = callrec.MaxUnmixedChannels
	}
	if c.MaxUnmixedChannels < 1 || c.MaxUnmixedChannels > 64 {
		return c, fmt.Errorf("recorder: MaxUnmixedChannels %d is out of range 1..64", c.MaxUnmixedChannels)
	}
	if c.ChunkMaxDuration == 0 {
		c.ChunkMaxDuration = DefaultChunkMaxDuration
	}
	if c.ChunkMaxBytes == 0 {
		c.ChunkMaxBytes = DefaultChunkMaxBytes
	}
	if c.ChunkMaxBytes > wav.MaxDataBytes {
		return c, fmt.Errorf("recorder: ChunkMaxBytes %d is above the WAV limit %d", c.ChunkMaxBytes, int64(wav.MaxDataBytes))
	}
	if c.Durability == 0 {
		c.Durability = DefaultDurability
	}
	budget := callmedia.DefaultBudget
	if c.Media != nil {
		budget = c.Media.Budget()
	}
	if c.Lateness == 0 {
		c.Lateness = budget.MaxDelay
	}
	if c.StopGrace == 0 {
		c.StopGrace = budget.Delay
	}
	if err := budget.CheckSubscriber("recorder", c.StopGrace, c.Lateness); err != nil {
		return c, err
	}
	if c.StopGrace >= c.Lateness {
		return c, fmt.Errorf("recorder: StopGrace %v must be below Lateness %v", c.StopGrace, c.Lateness)
	}
	if c.Lateness >= c.Durability {
		return c, fmt.Errorf("recorder: Lateness %v must be below Durability %v", c.Lateness, c.Durability)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Window < c.Durability {
		return c, fmt.Errorf("recorder: Window %v must be at least Durability %v", c.Window, c.Durability)
	}
	if c.QueueFrames == 0 {
		c.QueueFrames = DefaultQueueFrames
	}
	if c.ReserveBytes == 0 {
		c.ReserveBytes = DefaultReserveBytes
	}
	if c.Retention > 0 && c.RetentionEvery == 0 {
		c.RetentionEvery = min(c.Retention/10, time.Hour)
	}
	if c.UploadInterval == 0 {
		c.UploadInterval = DefaultUploadInterval
	}
	if c.UploadRetryMin <= 0 {
		c.UploadRetryMin = DefaultUploadRetryMin
	}
	if c.UploadRetryMax < c.UploadRetryMin {
		c.UploadRetryMax = max(DefaultUploadRetryMax, c.UploadRetryMin)
	}
	if c.Region == "" {
		c.Region = "loc"
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// commitEvery is the period of the clock-driven commit and sync. Audio at
// position p is committed and synced at most Lateness+commitEvery after p,
// that is (Durability+Lateness)/2 < Durability.
func (c Config) commitEvery() time.Duration {
	return max((c.Durability-c.Lateness)/2, time.Millisecond)
}

// chunkFrames returns the most sample frames a chunk of nch channels in
// format cf may hold, and the end reason when it is full.
func (c Config) chunkFrames(cf chunkFormat, nch int) (int64, string) {
	byTime := int64(c.ChunkMaxDuration / (time.Second / callrec.SampleRate))
	bySize := (c.ChunkMaxBytes - cf.headerBytes(nch)) * callrec.SampleRate / cf.bytesPerSecond(nch)
	if bySize < byTime {
		return max(bySize, 1), EndReasonChunkMaxSize
	}
	return max(byTime, 1), EndReasonChunkMaxTime
}

// Chunk end reasons set by the engine (ACS ChunkEndReason, lower camel).
const (
	EndReasonChunkMaxSize = "chunkMaximumSizeExceeded"
	EndReasonChunkMaxTime = "chunkMaximumTimeExceeded"
)
