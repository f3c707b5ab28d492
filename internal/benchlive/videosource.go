package benchlive

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtp/codecs"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/simulate"
)

// With --video, participant k of a call also sends simulate's synthetic
// video (its colour, its name, a frame counter, a white flash every 4 s)
// and its tone carries a beep at the flashes. The video is one flash
// period encoded once per process by simulate's VP8 encoder, with a
// keyframe every second, and replayed in a loop on the pacer's grid, as
// the tones are.
const (
	videoFPS         = simulate.VideoFPS
	videoKeyEvery    = simulate.VideoFPS // frames: a keyframe request is answered within a second
	videoFrameTicks  = 90000 / videoFPS  // one frame on the 90 kHz RTP clock
	videoPayloadSize = 1200
	// flashPackets is the flash period in 20 ms audio packets.
	flashPackets = int(simulate.FlashPeriod / frameInterval)
)

// videoColours are the participants' colours, by index in the call: the
// chroma of each is far from the others' and from the placeholder's grey.
var videoColours = []string{"red", "green", "blue", "yellow", "magenta", "cyan", "orange"}

// maxVideoParticipants is how many participants a call may have with
// video: one colour each.
var maxVideoParticipants = len(videoColours)

// videoClip is one participant's encoded video loop: each frame's VP8 RTP
// payloads, frame 0 the flash.
type videoClip struct {
	colour string
	frames [][][]byte
}

// frame returns the payloads of frame n of the endless playback.
func (v *videoClip) frame(n int) [][]byte { return v.frames[n%len(v.frames)] }

type videoEntry struct {
	once sync.Once
	clip *videoClip
	err  error
}

var videoClips sync.Map // participant index → *videoEntry

// videoClipFor returns the video of the k-th participant of a call.
func videoClipFor(ctx context.Context, k int) (*videoClip, error) {
	if k < 0 || k >= len(videoColours) {
		return nil, fmt.Errorf("benchlive: no video colour for participant %d", k)
	}
	v, _ := videoClips.LoadOrStore(k, &videoEntry{})
	e := v.(*videoEntry)
	e.once.Do(func() {
		colour := videoColours[k]
		frames, err := simulate.EncodeVideoLoop(ctx, fmt.Sprintf("bench %d", k), colour, videoKeyEvery)
		if err != nil {
			e.err = err
			return
		}
		c := &videoClip{colour: colour}
		var pay codecs.VP8Payloader
		for _, f := range frames {
			c.frames = append(c.frames, pay.Payload(videoPayloadSize, f))
		}
		e.clip = c
	})
	return e.clip, e.err
}

// beepFrequency is the beep of the k-th participant: multiples of 200 Hz
// above every tone (at most 7 participants with video: tones up to
// 1.6 kHz), so that each participant's beep is told apart in the mix.
func beepFrequency(k int) int { return 3000 + 200*k }

// beepClip returns the clip of a sine at freq Hz with a beep at beepFreq
// for simulate.BeepDuration at the start of every flash period, both of
// peak amplitude amp: warm-up, then two flash periods, the second looped
// (as toneClip's). The beep is added to the tone, not put in its place,
// so that the tone check sees no gap.
func beepClip(freq, beepFreq int, amp float64) (*clip, error) {
	v, _ := clips.LoadOrStore(toneKey{freq: freq, amp: amp, beep: beepFreq}, &clipEntry{})
	e := v.(*clipEntry)
	e.once.Do(func() {
		enc, err := audio.NewOpusEncoder(opusRate, encodeBitrate)
		if err != nil {
			e.err = err
			return
		}
		frames := warmUpFrames + 2*flashPackets
		pcm := audio.Sine(float64(freq), amp, opusRate, frames*frameSamples)
		beep := audio.Sine(float64(beepFreq), amp, opusRate, int(simulate.BeepDuration*opusRate/time.Second))
		for start := 0; start < len(pcm); start += flashPackets * frameSamples {
			for i, s := range beep[:min(len(beep), len(pcm)-start)] {
				pcm[start+i] += s
			}
		}
		packets, err := enc.EncodeAll(pcm)
		if err != nil {
			e.err = err
			return
		}
		if len(packets) != frames {
			e.err = fmt.Errorf("benchlive: encoder returned %d packets for %d frames", len(packets), frames)
			return
		}
		e.clip = &clip{packets: packets, loopFrom: warmUpFrames + flashPackets}
	})
	return e.clip, e.err
}

// encodeVideos encodes the first n participants' videos, at once.
func encodeVideos(ctx context.Context, n int) ([]*videoClip, error) {
	videos := make([]*videoClip, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { videos[k], errs[k] = videoClipFor(ctx, k) })
	}
	wg.Wait()
	return videos, errors.Join(errs...)
}
