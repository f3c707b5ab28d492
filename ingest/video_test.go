package ingest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/simulate"
)

// videoCapture is a capture that also keeps video.
type videoCapture struct {
	*capture
	vmu   sync.Mutex
	video map[string][]callrec.VideoFrame
	sub   callrec.MediaSubscription
}

func (c *videoCapture) OnVideoFrame(f callrec.VideoFrame) {
	f.Data = slices.Clone(f.Data)
	c.vmu.Lock()
	c.video[f.Participant] = append(c.video[f.Participant], f)
	c.vmu.Unlock()
}

func (c *videoCapture) pictures(rawID string) []callrec.VideoFrame {
	c.vmu.Lock()
	defer c.vmu.Unlock()
	return slices.Clone(c.video[rawID])
}

func subscribeVideo(t *testing.T, src callrec.MediaSource, callID string) *videoCapture {
	c := &videoCapture{capture: &capture{frames: map[string][]callrec.Frame{}}, video: map[string][]callrec.VideoFrame{}}
	c.subTime = time.Now()
	c.sub = src.Subscribe(callID, c)
	c.subPos = c.sub.Pos
	t.Cleanup(c.sub.Cancel)
	return c
}

// decodeVP8 decodes frames with ffmpeg (any error fails the test) and
// returns each picture's mean Y, Cb and Cr (yuv420p), one per frame, at the
// size of the first keyframe.
func decodeVP8(t *testing.T, frames []callrec.VideoFrame) [][3]float64 {
	t.Helper()
	if len(frames) == 0 || !frames[0].Keyframe || len(frames[0].Data) < 10 {
		t.Fatal("no VP8 keyframe to start decoding at")
	}
	// RFC 6386 §9.1: a key frame's start code is followed by its 14-bit
	// width and height.
	w := int(binary.LittleEndian.Uint16(frames[0].Data[6:]) & 0x3fff)
	h := int(binary.LittleEndian.Uint16(frames[0].Data[8:]) & 0x3fff)
	var ivf bytes.Buffer
	hdr := make([]byte, 32)
	copy(hdr, "DKIF")
	binary.LittleEndian.PutUint16(hdr[6:], 32)
	copy(hdr[8:], "VP80")
	binary.LittleEndian.PutUint16(hdr[12:], uint16(w))
	binary.LittleEndian.PutUint16(hdr[14:], uint16(h))
	binary.LittleEndian.PutUint32(hdr[16:], callrec.SampleRate)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	binary.LittleEndian.PutUint32(hdr[24:], uint32(len(frames)))
	ivf.Write(hdr)
	for i, f := range frames {
		fh := make([]byte, 12)
		binary.LittleEndian.PutUint32(fh, uint32(len(f.Data)))
		binary.LittleEndian.PutUint64(fh[4:], uint64(i))
		ivf.Write(fh)
		ivf.Write(f.Data)
	}
	in := filepath.Join(t.TempDir(), "video.ivf")
	if err := os.WriteFile(in, ivf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "ffmpeg", "-nostdin", "-v", "error", "-xerror", "-f", "ivf", "-i", in,
		"-fps_mode", "passthrough", "-s", fmt.Sprintf("%dx%d", w, h), "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg decode of the received VP8: %v: %s", err, stderr.String())
	}
	size := w * h * 3 / 2
	var out [][3]float64
	for len(raw) >= size {
		pic := raw[:size]
		raw = raw[size:]
		out = append(out, [3]float64{mean(pic[:w*h]), mean(pic[w*h : w*h*5/4]), mean(pic[w*h*5/4:])})
	}
	return out
}

func mean(b []byte) float64 {
	s := 0
	for _, v := range b {
		s += int(v)
	}
	return float64(s) / float64(len(b))
}

// beepOnsets returns the call-clock positions where the beep's tone
// starts in pcm (which starts at start).
func beepOnsets(start int64, pcm []int16) []int64 {
	const win = callrec.SampleRate / 100 // 10 ms
	var onsets []int64
	on := false
	for i := 0; i+win <= len(pcm); i += win {
		got, ratio := audio.DetectTone(pcm[i:i+win], callrec.SampleRate, []float64{440, simulate.BeepHz})
		beep := got == simulate.BeepHz && ratio > 10
		if beep && !on {
			onsets = append(onsets, start+int64(i))
		}
		on = beep
	}
	return onsets
}

// TestSimulatedVideoReachesTheHub: two simulated participants publish
// synthetic VP8 video (red and blue) with their tones into a real server.
// A video subscriber gets each one's pictures in order from a keyframe on,
// one per 1/15 s of call clock; ffmpeg decodes all of them to the
// participant's colour; the flashes line up with the beeps of the audio
// within a frame; and a keyframe request brings a keyframe.
func TestSimulatedVideoReachesTheHub(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is needed (libvpx encodes the synthetic video)")
	}
	h := startHarness(t)
	callID := h.createCall(t)
	c := subscribeVideo(t, h.hub, callID)
	who := map[string]string{"8:acs:video_red": "red", "8:acs:video_blue": "blue"}
	const d = 9 * time.Second
	results := make(chan simulate.Result, len(who))
	errs := make(chan error, len(who))
	for id, colour := range who {
		go func() {
			tone := "tone:440"
			res, err := simulate.Join(t.Context(), h.options(callID, id, tone+",video:"+colour, d))
			results <- res
			errs <- err
		}()
	}
	// Halfway, the subscriber asks the red participant for a keyframe.
	waitFor(t, 60*time.Second, "3 s of red video", func() bool {
		f := c.pictures("8:acs:video_red")
		return len(f) > 1 && f[len(f)-1].Pos-f[0].Pos >= 3*callrec.SampleRate
	})
	asked := c.pictures("8:acs:video_red")
	c.sub.RequestKeyframe("8:acs:video_red")
	sent := map[string]int{}
	for range who {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		res := <-results
		sent[res.Participant] = res.VideoFrames
		t.Logf("%s sent %d video frames of %d, %d keyframes", res.Participant, res.VideoFrames, int(d.Seconds()*simulate.VideoFPS), res.Keyframes)
	}
	waitFor(t, 10*time.Second, "both leaves", func() bool {
		return len(c.eventKinds("8:acs:video_red")) >= 2 && len(c.eventKinds("8:acs:video_blue")) >= 2
	})

	wantY := map[string]func(p [3]float64) bool{
		"red":  func(p [3]float64) bool { return p[2] > 170 && p[1] < 128 },
		"blue": func(p [3]float64) bool { return p[1] > 170 && p[2] < 128 },
	}
	frameDur := float64(callrec.SampleRate) / simulate.VideoFPS
	for id, colour := range who {
		frames := c.pictures(id)
		// On loopback every picture sent arrives (a loaded sender skips
		// some rather than send late; it never skips a flash).
		if len(frames) < sent[id]-1 {
			t.Fatalf("%s: %d pictures of the %d sent", id, len(frames), sent[id])
		}
		if !frames[0].Keyframe {
			t.Errorf("%s: the first picture is not a keyframe", id)
		}
		var gaps []float64
		for i, f := range frames {
			if f.Codec != callrec.VideoVP8 || f.Participant != id {
				t.Fatalf("%s: picture %d is %s of %s", id, i, f.Codec, f.Participant)
			}
			if i > 0 {
				if f.Pos < frames[i-1].Pos {
					t.Fatalf("%s: picture %d at %d goes back from %d", id, i, f.Pos, frames[i-1].Pos)
				}
				gaps = append(gaps, float64(f.Pos-frames[i-1].Pos))
			}
		}
		// Each picture at its capture time: a whole number of frame
		// durations after the one before (the sender skips whole frames).
		for i, g := range gaps {
			if n := math.Round(g / frameDur); n < 1 || math.Abs(g-n*frameDur) > frameDur/10 {
				t.Errorf("%s: picture %d is %.0f samples after the one before, not a whole number of frames (%.0f)", id, i+1, g, frameDur)
				break
			}
		}
		// The pictures' positions follow their capture: from the first to
		// the last, at least as many frame durations as pictures (a loaded
		// sender may skip some), within two frames, and no more than the
		// stream lasted.
		if span, least := float64(frames[len(frames)-1].Pos-frames[0].Pos), float64(len(frames)-3)*frameDur; span < least || span > d.Seconds()*callrec.SampleRate {
			t.Errorf("%s: %d pictures span %.0f samples of call clock, want %.0f to %.0f", id, len(frames), span, least, d.Seconds()*callrec.SampleRate)
		}

		pics := decodeVP8(t, frames)
		if len(pics) != len(frames) {
			t.Fatalf("%s: ffmpeg decoded %d pictures of %d", id, len(pics), len(frames))
		}
		coloured, flashes := 0, []int64{}
		for i, p := range pics {
			switch {
			case p[0] > 200:
				flashes = append(flashes, frames[i].Pos)
			case wantY[colour](p):
				coloured++
			}
		}
		if coloured < len(pics)-len(flashes)-1 {
			t.Errorf("%s: %d of %d pictures are %s (first: Y %.0f Cb %.0f Cr %.0f)", id, coloured, len(pics), colour, pics[0][0], pics[0][1], pics[0][2])
		}
		start, pcm := c.track(t, id)
		beeps := beepOnsets(start, pcm)
		if len(flashes) < 2 || len(beeps) < 2 {
			t.Fatalf("%s: flashes at %v, beeps at %v: want at least two of each", id, flashes, beeps)
		}
		for _, f := range flashes {
			nearest := slices.MinFunc(beeps, func(a, b int64) int { return int(abs(a-f) - abs(b-f)) })
			if off := time.Duration(f-nearest) * time.Second / callrec.SampleRate; off.Abs() > time.Second/16 {
				t.Errorf("%s: the flash at %d is %v from the beep at %d, more than a frame at 16 fps", id, f, off, nearest)
			} else {
				t.Logf("%s: flash %v after its beep", id, off)
			}
		}
	}
	red := c.pictures("8:acs:video_red")
	var keyAfter bool
	for _, f := range red[len(asked):] {
		if f.Keyframe && f.Pos <= red[len(red)-1].Pos {
			keyAfter = true
		}
	}
	if !keyAfter {
		t.Error("no keyframe came after the subscriber asked for one")
	}
	blueKeys := 0
	for _, f := range c.pictures("8:acs:video_blue") {
		if f.Keyframe {
			blueKeys++
		}
	}
	if blueKeys != 1 {
		t.Errorf("blue sent %d keyframes, want 1 (nobody asked for another)", blueKeys)
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
