package mp4_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec/audio/aac"
	"github.com/callrec/callrec/container/mp4"
	"github.com/callrec/callrec/video"
	"github.com/callrec/callrec/video/videotest"
)

const (
	w, h = 320, 180
	fps  = 16
)

// writeFile writes seconds of video (black, white for the frames of
// [flash, flash+0.1 s)) and audio (silence, a 1 kHz beep at the same span)
// to path, syncing after every second; with crashAfter > 0 it stops
// there without finalizing, as a crash would.
func writeFile(t *testing.T, path string, seconds, flash float64, crashAfter int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mw, err := mp4.NewWriter(f, mp4.Config{FPS: fps, SampleRate: 16000, AudioDelay: aac.Delay})
	if err != nil {
		t.Fatal(err)
	}
	venc, err := video.NewEncoder(video.EncoderConfig{Width: w, Height: h, FPS: fps, BitRate: 300000})
	if err != nil {
		t.Fatal(err)
	}
	defer venc.Close()
	aenc, err := aac.NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	defer aenc.Close()
	var vframes int64
	writeVideo := func(au []byte) error {
		vframes++
		return mw.WriteVideo(au, mw.FrameTime(vframes-1))
	}
	img := video.NewImage(w, h)
	pcm := make([]int16, 1000)
	frames := int(seconds * fps)
	for k := range frames {
		on := float64(k)/fps >= flash && float64(k)/fps < flash+0.1
		if on {
			img.Fill(video.White)
		} else {
			img.Fill(video.Black)
		}
		for i := range pcm {
			n := k*1000 + i
			pcm[i] = 0
			if ts := float64(n) / 16000; ts >= flash && ts < flash+0.1 {
				pcm[i] = int16(12000 * math.Sin(2*math.Pi*1000*ts))
			}
		}
		if err := venc.Encode(img); err != nil {
			t.Fatal(err)
		}
		if err := aenc.Encode(pcm); err != nil {
			t.Fatal(err)
		}
		if err := venc.AccessUnits(writeVideo); err != nil {
			t.Fatal(err)
		}
		if err := aenc.Frames(mw.WriteAudio); err != nil {
			t.Fatal(err)
		}
		if (k+1)%fps == 0 {
			// As in a live recording, where a frame comes every 62.5 ms,
			// the encoders catch up with their input before the sync.
			for deadline := time.Now().Add(10 * time.Second); (mw.VideoFrames() < int64(k) || mw.AudioFrames()*1024 < int64(k-2)*1000) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				if err := venc.AccessUnits(writeVideo); err != nil {
					t.Fatal(err)
				}
				if err := aenc.Frames(mw.WriteAudio); err != nil {
					t.Fatal(err)
				}
			}
			if err := mw.Sync(); err != nil {
				t.Fatal(err)
			}
			if crashAfter > 0 && (k+1)/fps == crashAfter {
				return
			}
		}
	}
	if err := venc.Finish(writeVideo); err != nil {
		t.Fatal(err)
	}
	if err := aenc.Finish(mw.WriteAudio); err != nil {
		t.Fatal(err)
	}
	if err := mw.Finalize(); err != nil {
		t.Fatal(err)
	}
}

type probe struct {
	Streams []struct {
		CodecName    string `json:"codec_name"`
		CodecType    string `json:"codec_type"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		SampleRate   string `json:"sample_rate"`
		Channels     int    `json:"channels"`
		AvgFrameRate string `json:"avg_frame_rate"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// decodeErrors decodes the whole file and returns ffmpeg's complaints.
func decodeErrors(t *testing.T, path string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("decode %s: %v: %s", path, err, stderr.Bytes())
	}
	return stderr.String()
}

// audioPCM decodes the audio track to 16 kHz mono samples.
func audioPCM(t *testing.T, path string) []int16 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-f", "s16le", "-ar", "16000", "-ac", "1", "pipe:1").Output()
	if err != nil {
		t.Fatalf("decode audio of %s: %v", path, err)
	}
	pcm := make([]int16, len(out)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(out[2*i:]))
	}
	return pcm
}

func TestWriterPlaysWithFlashAndBeepTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.mp4")
	writeFile(t, path, 4, 2, 0)
	p := ffprobe(t, path)
	if len(p.Streams) != 2 {
		t.Fatalf("streams: %+v", p.Streams)
	}
	v, a := p.Streams[0], p.Streams[1]
	if v.CodecName != "h264" || v.Width != w || v.Height != h || v.AvgFrameRate != "16/1" {
		t.Errorf("video stream %+v", v)
	}
	if a.CodecName != "aac" || a.SampleRate != "16000" || a.Channels != 1 {
		t.Errorf("audio stream %+v", a)
	}
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); math.Abs(d-4) > 0.1 {
		t.Errorf("duration %v, want 4 s", d)
	}
	if msg := decodeErrors(t, path); msg != "" {
		t.Errorf("decode errors: %s", msg)
	}
	// The flash: the first white frame.
	frames, err := videotest.DecodeFrames(path, "", w, h)
	if err != nil {
		t.Fatal(err)
	}
	flash := -1
	for i, f := range frames {
		if f[w*h/2+w/2] > 200 {
			flash = i
			break
		}
	}
	if len(frames) != 64 || flash < 0 {
		t.Fatalf("%d frames, first white one %d", len(frames), flash)
	}
	// The beep: the first sample above a quarter of its amplitude.
	pcm := audioPCM(t, path)
	beep := -1
	for i, s := range pcm {
		if s > 3000 || s < -3000 {
			beep = i
			break
		}
	}
	// Presentation times: the decoded audio starts where its track does
	// (before 0: the edit list skips the encoder's priming).
	vStart, aStart, err := videotest.StartTimes(path)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(aStart+float64(aac.Delay)/16000) > 0.001 || vStart != 0 {
		t.Errorf("start times: video %v s, audio %v s, want 0 and %v", vStart, aStart, -float64(aac.Delay)/16000)
	}
	flashAt, beepAt := vStart+float64(flash)/fps, aStart+float64(beep)/16000
	t.Logf("flash at %.4f s, beep at %.4f s (%d samples decoded)", flashAt, beepAt, len(pcm))
	if math.Abs(flashAt-2) > 0.001 || math.Abs(beepAt-2) > 1.0/fps {
		t.Errorf("flash at %.4f s and beep at %.4f s, want both at 2 s within a frame", flashAt, beepAt)
	}
}

func TestRepairKeepsTheWholeFragments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.mp4")
	writeFile(t, path, 6, 1, 3)
	// A crash mid-write leaves part of a fragment after the last sync.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	cut := []byte{0, 0, 1, 0, 'm', 'o', 'o', 'f', 1, 2, 3}
	f.Write(cut)
	f.Close()
	info, err := mp4.Repair(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Size() != info.Bytes || !info.HasInit {
		t.Errorf("repaired to %d bytes, scan says %d (init %v)", st.Size(), info.Bytes, info.HasInit)
	}
	// Three seconds were synced: the fragments of seconds 0 and 1 are
	// whole for sure (the encoders lag behind their input by up to a
	// second); audio and video agree.
	if info.VideoFrames < 2*fps || info.VideoFrames > 3*fps || info.Fragments < 2 {
		t.Errorf("repaired file holds %d video frames in %d fragments", info.VideoFrames, info.Fragments)
	}
	if d := info.AudioSamples() - info.VideoFrames*1000; d < -1024 || d > 2048 {
		t.Errorf("audio %d samples against %d video frames", info.AudioSamples(), info.VideoFrames)
	}
	if msg := decodeErrors(t, path); msg != "" {
		t.Errorf("decode errors after repair: %s", msg)
	}
	frames, err := videotest.DecodeFrames(path, "", w, h)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(frames)) != info.VideoFrames {
		t.Errorf("ffmpeg decodes %d frames, the scan counted %d", len(frames), info.VideoFrames)
	}
	// Repairing again changes nothing.
	again, err := mp4.Repair(path)
	if err != nil || again != info {
		t.Errorf("second repair: %+v, %v; first %+v", again, err, info)
	}
}

func TestRepairOfAFileWithoutInit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.mp4")
	if err := os.WriteFile(path, []byte{0, 0, 0, 24, 'f', 't', 'y', 'p'}, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mp4.Repair(path); err != mp4.ErrNoInit {
		t.Errorf("repair of a cut ftyp: %v, want ErrNoInit", err)
	}
}
