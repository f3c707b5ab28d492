package callrec

// VideoCodec names the encoding of a participant's video.
type VideoCodec string

// The video codecs that transports accept (WebRTC's mandatory ones).
const (
	VideoVP8  VideoCodec = "VP8"
	VideoH264 VideoCodec = "H264"
)

// VideoFrame is one whole encoded picture of a participant's video, as its
// transport assembled it from RTP packets, placed on the call clock.
//
// Pos is the call-clock position (samples at SampleRate from the clock's
// epoch) of the picture's capture time, on the same clock as the audio
// Frames of every participant: a picture and the audio at the same Pos were
// captured at the same moment, to within the sender's own A/V offset and
// network jitter. A participant's frames come in order of Pos, never going
// back (two frames may share a Pos when the sender's clock says so).
//
// Data is the encoded picture: for VP8 one frame as an IVF file holds it
// (RFC 7741's payload descriptors removed); for H.264 one access unit in
// Annex-B form (each NAL unit after a 00 00 00 01 start code, aggregation
// and fragmentation undone), with the SPS and PPS before each IDR picture
// when the sender sent them. Data is only valid during the callback that
// delivers it.
//
// A subscriber's first frame of a participant is a Keyframe, and every
// frame after it decodes given the frames before it: the publisher drops
// the frames that depend on a lost one until the next keyframe, which it
// asks the sender for.
type VideoFrame struct {
	Participant string
	Pos         int64
	Codec       VideoCodec
	Keyframe    bool
	Data        []byte
}

// VideoSubscriber is a MediaSubscriber that also takes video: a
// MediaSource delivers video frames to the subscribers that implement it,
// under the same rules as OnFrame (possibly concurrent calls from
// participants' goroutines, no blocking), and in order with the
// participant's audio frames and events.
type VideoSubscriber interface {
	OnVideoFrame(f VideoFrame)
}
