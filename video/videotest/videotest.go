// Package videotest makes encoded test video with ffmpeg and reads
// composites back, for the tests of video, recorder and the benchmark.
package videotest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Frame is one encoded picture.
type Frame struct {
	Keyframe bool
	Data     []byte
}

// Encode makes seconds of a solid colour (an ffmpeg colour name or
// 0xRRGGBB) at w×h and fps, encoded as codec ("VP8" or "H264"), with a
// keyframe every second. dir holds the intermediate file.
func Encode(dir, codec, colour string, w, h, fps int, seconds float64) ([]Frame, error) {
	return EncodeSource(dir, codec, fmt.Sprintf("color=c=%s:s=%dx%d:r=%d", colour, w, h, fps), fps, seconds)
}

// EncodeSource encodes seconds of the lavfi source src.
func EncodeSource(dir, codec, src string, fps int, seconds float64) ([]Frame, error) {
	out := filepath.Join(dir, fmt.Sprintf("src-%d", len(src)))
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", src, "-t", fmt.Sprint(seconds), "-threads", "1"}
	switch codec {
	case "VP8":
		out += ".ivf"
		args = append(args, "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k",
			"-g", fmt.Sprint(fps), "-f", "ivf", out)
	case "H264":
		out += ".h264"
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", fmt.Sprint(fps),
			"-x264-params", "aud=1:repeat-headers=1", "-pix_fmt", "yuv420p", "-f", "h264", out)
	default:
		return nil, fmt.Errorf("videotest: codec %q", codec)
	}
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("videotest: ffmpeg: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	if codec == "VP8" {
		return ReadIVF(data)
	}
	return SplitAUD(data), nil
}

// ReadIVF splits an IVF file into its frames.
func ReadIVF(b []byte) ([]Frame, error) {
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		return nil, fmt.Errorf("videotest: not an IVF file")
	}
	hl := int(binary.LittleEndian.Uint16(b[6:]))
	b = b[hl:]
	var out []Frame
	for len(b) >= 12 {
		n := int(binary.LittleEndian.Uint32(b))
		if len(b) < 12+n {
			break
		}
		d := b[12 : 12+n]
		out = append(out, Frame{Keyframe: len(d) > 0 && d[0]&1 == 0, Data: d})
		b = b[12+n:]
	}
	return out, nil
}

// SplitAUD splits an H.264 Annex-B stream with access unit delimiters
// into access units.
func SplitAUD(b []byte) []Frame {
	aud := []byte{0, 0, 0, 1, 9}
	var out []Frame
	for {
		i := bytes.Index(b, aud)
		if i < 0 {
			return out
		}
		j := bytes.Index(b[i+len(aud):], aud)
		end := len(b)
		if j >= 0 {
			end = i + len(aud) + j
		}
		au := b[i:end]
		out = append(out, Frame{Keyframe: bytes.Contains(au, []byte{0, 0, 1, 0x65}) || bytes.Contains(au, []byte{0, 0, 1, 0x25}), Data: au})
		if j < 0 {
			return out
		}
		b = b[end:]
	}
}

// DecodeFrames decodes the video of a media file to I420 frames of w×h
// at its own rate, with ffmpeg, through the filter vf if not empty (a
// scale to w×h, say: decoded 1080p is 3 MB a frame).
func DecodeFrames(path, vf string, w, h int) ([][]byte, error) {
	args := []string{"-hide_banner", "-loglevel", "error", "-i", path}
	if vf != "" {
		args = append(args, "-vf", vf)
	}
	args = append(args, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1")
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("videotest: decode %s: %v: %s", path, err, stderr.Bytes())
	}
	size := w * h * 3 / 2
	var frames [][]byte
	for len(out) >= size {
		frames = append(frames, out[:size])
		out = out[size:]
	}
	return frames, nil
}

// StartTimes returns the presentation start times (seconds) of the first
// video and the first audio stream of a media file, as ffprobe reads
// them: an AAC track whose encoder priming an edit list skips starts
// before 0, and its decoded samples are placed from there.
func StartTimes(path string) (videoStart, audioStart float64, err error) {
	for i, sel := range []string{"v:0", "a:0"} {
		out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", sel, "-show_entries", "stream=start_time",
			"-of", "default=noprint_wrappers=1:nokey=1", path).Output()
		if err != nil {
			return 0, 0, fmt.Errorf("videotest: ffprobe %s: %v", path, err)
		}
		var v float64
		if _, err := fmt.Sscan(string(out), &v); err != nil {
			return 0, 0, fmt.Errorf("videotest: start time of %s in %s: %q", sel, path, out)
		}
		if i == 0 {
			videoStart = v
		} else {
			audioStart = v
		}
	}
	return videoStart, audioStart, nil
}

// DecodeAudio decodes the first audio stream of a media file to 16 kHz
// mono samples, with ffmpeg.
func DecodeAudio(path string) ([]int16, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a:0",
		"-f", "s16le", "-ar", "16000", "-ac", "1", "pipe:1")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("videotest: decode the audio of %s: %v: %s", path, err, stderr.Bytes())
	}
	pcm := make([]int16, len(out)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(out[2*i:]))
	}
	return pcm, nil
}
