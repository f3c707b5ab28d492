package rtcrecv

import "time"

// Transport-wide congestion control feedback is paced as libwebrtc's
// receiver paces it (RemoteEstimatorProxy): so that feedback takes 5 % of
// the bitrate received, assuming 68 bytes a report on the wire, between 50
// and 250 ms apart, 100 ms until a rate is known. An Opus stream of 32 kbit/s
// gets feedback every 250 ms; a browser that also sends video, every 50 ms.
const (
	feedbackDefault       = 100 * time.Millisecond
	feedbackMinInterval   = 50 * time.Millisecond
	feedbackMaxInterval   = 250 * time.Millisecond
	feedbackReportBits    = 68 * 8
	feedbackBandwidthPart = 0.05
)

// feedbackPacer decides when a peer's next feedback is due from the bytes
// received since the last one.
type feedbackPacer struct {
	last     time.Time
	interval time.Duration
	bytes    int // received since last
}

// received counts a datagram's bytes.
func (f *feedbackPacer) received(n int) { f.bytes += n }

// due reports whether feedback should be sent at now; when it is, the
// pacer starts a new interval sized from the bitrate of the last one.
func (f *feedbackPacer) due(now time.Time) bool {
	if f.interval == 0 {
		f.interval = feedbackDefault
	}
	elapsed := now.Sub(f.last)
	if elapsed < f.interval {
		return false
	}
	if !f.last.IsZero() && f.bytes > 0 {
		bitsPerSecond := float64(f.bytes*8) / elapsed.Seconds()
		next := time.Duration(feedbackReportBits / (feedbackBandwidthPart * bitsPerSecond) * float64(time.Second))
		f.interval = min(max(next, feedbackMinInterval), feedbackMaxInterval)
	}
	f.last, f.bytes = now, 0
	return true
}
