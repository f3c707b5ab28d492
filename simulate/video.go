package simulate

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// vp8Codec is what a simulated participant's video is sent as.
var vp8Codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}

// registerVP8 adds VP8 (payload type 96, keyframe requests by PLI and FIR)
// to a publisher's media engine.
func registerVP8(me *webrtc.MediaEngine) error {
	return me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}},
	}, PayloadType: 96}, webrtc.RTPCodecTypeVideo)
}

// SplitSource splits a participant's source spec, "AUDIO[,video:COLOUR]",
// into its audio source and its video colour ("" for none).
func SplitSource(spec string) (audioSource, videoColour string, err error) {
	parts := strings.Split(spec, ",")
	audioSource = parts[0]
	for _, p := range parts[1:] {
		c, ok := strings.CutPrefix(p, "video:")
		if !ok || videoColour != "" {
			return "", "", fmt.Errorf("source %q: want AUDIO or AUDIO,video:COLOUR", spec)
		}
		if _, err := videoColor(c); err != nil {
			return "", "", err
		}
		videoColour = c
	}
	return audioSource, videoColour, nil
}

// videoSender sends one participant's synthetic video: pictures drawn on
// their schedule (frame n at start + n/VideoFPS, whatever the sender's
// lateness), encoded to VP8 by ffmpeg (vp8Encoder) and sent as samples of
// one frame's duration, so that the RTP timestamps follow the schedule. A
// keyframe request from the receiver (PLI or FIR) makes the next picture
// a keyframe, at most every 500 ms.
type videoSender struct {
	track   *webrtc.TrackLocalStaticRTP
	pk      rtp.Packetizer
	painter *painter
	wanted  atomic.Bool
	// mu guards what send and send0 change: they run on different
	// goroutines, ordered through ffmpeg's pipes, which the race detector
	// cannot see.
	mu              sync.Mutex
	sent, keyframes int
	last            int
	enc             *vp8Encoder
	first           chan []byte // frame 0, encoded ahead by prime
}

// newVideoSender adds the video track to pc and starts its encoder (a
// process takes a while to start: a late first frame would come in a
// burst with the next ones); Close stops it.
func newVideoSender(ctx context.Context, pc *webrtc.PeerConnection, name, colour string) (*videoSender, error) {
	c, err := videoColor(colour)
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticRTP(vp8Codec, "video", "callrec-simulate")
	if err != nil {
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, err
	}
	v := &videoSender{track: track, painter: newPainter(name, c), last: -1, first: make(chan []byte, 1),
		// The track sets the SSRC and payload type negotiated.
		pk: rtp.NewPacketizer(1200, 0, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)}
	if v.enc, err = newVP8Encoder(ctx, v.send); err != nil {
		return nil, err
	}
	go func() { // until the PeerConnection closes
		for {
			pkts, _, err := tr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					v.wanted.Store(true)
				}
			}
		}
	}()
	return v, nil
}

// send sends one encoded frame (on the encoder's output goroutines, one at
// a time, in order).
func (v *videoSender) send(frame []byte, index int) {
	if index == 0 {
		v.first <- frame // sent by run, when it is due
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if index <= v.last {
		return
	}
	v.write(frame, index)
}

// write packetizes and sends frame index; v.mu is held. Frames the sender
// skipped (it fell behind) leave a gap in the RTP timestamps, none in the
// sequence numbers: nothing was lost on the way.
func (v *videoSender) write(frame []byte, index int) {
	v.pk.SkipSamples(uint32((index - v.last - 1) * rtpFrameTicks))
	for _, pkt := range v.pk.Packetize(frame, rtpFrameTicks) {
		_ = v.track.WriteRTP(pkt)
	}
	v.last = index
	v.sent++
	if len(frame) > 0 && frame[0]&1 == 0 {
		v.keyframes++
	}
}

// rtpFrameTicks is one frame's duration on the 90 kHz RTP clock.
const rtpFrameTicks = 90000 / VideoFPS

// behind reports whether the encoder has more than maxInFlight pictures
// not yet sent when picture n is due.
func (v *videoSender) behind(n int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return n-v.last > maxInFlight
}

// maxInFlight is how many pictures may wait for the encoder before the
// sender skips one (a loaded host), rather than send late.
const maxInFlight = 3

// prime encodes frame 0 ahead of the stream and waits for it: an encoder
// takes a while to start (up to seconds on a loaded host), and frames that
// wait for it would go out late, in a burst, with the audio long gone
// ahead. Started is taken after prime, and frame 0 goes out then.
func (v *videoSender) prime(ctx context.Context, timeout time.Duration) error {
	if err := v.enc.Encode(v.painter.frame(0), 0, false); err != nil {
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case f := <-v.first:
		v.first <- f
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		if err := v.enc.Err(); err != nil {
			return err
		}
		return fmt.Errorf("simulate: the VP8 encoder gave no frame within %v", timeout)
	}
}

// send0 sends frame 0 (primed); the encoder's goroutines send the next
// ones after it, as they are encoded after run sent it.
func (v *videoSender) send0(frame []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.write(frame, 0)
}

// Close stops the encoder, if run did not.
func (v *videoSender) Close() { v.enc.Close() }

// keyframeGap is the least time between two keyframes made on request.
const keyframeGap = 500 * time.Millisecond

// run sends the video from start for d, or until ctx is done.
func (v *videoSender) run(ctx context.Context, start time.Time, d time.Duration) error {
	frameDur := time.Second / VideoFPS
	enc := v.enc
	defer enc.Close()
	total := int(d / frameDur)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastKey time.Time
	if total > 0 {
		v.send0(<-v.first)
	}
	for n := 1; n < total; n++ {
		timer.Reset(time.Until(start.Add(time.Duration(n) * frameDur)))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return nil
		}
		if n%FlashEvery != 0 && v.behind(n) {
			continue // skipped, not sent late; a flash is never skipped
		}
		key := false
		if time.Since(lastKey) >= keyframeGap && v.wanted.Swap(false) {
			key, lastKey = true, time.Now()
		}
		if err := enc.Encode(v.painter.frame(n), n, key); err != nil {
			return err
		}
	}
	return enc.Err()
}
