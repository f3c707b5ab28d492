package videotest

import (
	"encoding/json"
	"fmt"
	"os/exec"

	"github.com/callrec/callrec/video"
)

// Composite is a mixed audioVideo recording's format: H.264 1920x1080 at
// 16 fps and AAC 16 kHz mono, ACS's.
const (
	CompositeWidth  = 1920
	CompositeHeight = 1080
	CompositeFPS    = 16
)

// Stream is one stream of a media file, as ffprobe reads it.
type Stream struct {
	CodecType    string `json:"codec_type"`
	CodecName    string `json:"codec_name"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	SampleRate   string `json:"sample_rate"`
	Channels     int    `json:"channels"`
	AvgFrameRate string `json:"avg_frame_rate"`
	RFrameRate   string `json:"r_frame_rate"`
	NbFrames     string `json:"nb_frames"`
	Duration     string `json:"duration"`
}

// Probe returns the streams of a media file, with ffprobe.
func Probe(path string) ([]Stream, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", path).Output()
	if err != nil {
		return nil, fmt.Errorf("videotest: ffprobe %s: %v", path, err)
	}
	var p struct {
		Streams []Stream `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("videotest: ffprobe %s: %v", path, err)
	}
	return p.Streams, nil
}

// CompositeFormat checks that a file is a composite: one H.264 1920x1080
// stream at 16 fps (nominal) and one AAC 16 kHz mono stream. It returns
// the video's average frame rate, which is below 16 when the encoder fell
// behind on a loaded host and frames were left out.
func CompositeFormat(path string) (avgFPS float64, err error) {
	streams, err := Probe(path)
	if err != nil {
		return 0, err
	}
	var v, a *Stream
	for i, s := range streams {
		switch s.CodecType {
		case "video":
			v = &streams[i]
		case "audio":
			a = &streams[i]
		}
	}
	if len(streams) != 2 || v == nil || a == nil {
		return 0, fmt.Errorf("videotest: %s has streams %+v, want one video and one audio", path, streams)
	}
	var num, den float64
	if _, err := fmt.Sscanf(v.AvgFrameRate, "%g/%g", &num, &den); err == nil && den > 0 {
		avgFPS = num / den
	}
	if v.CodecName != "h264" || v.Width != CompositeWidth || v.Height != CompositeHeight || v.RFrameRate != fmt.Sprintf("%d/1", CompositeFPS) {
		return avgFPS, fmt.Errorf("videotest: video %+v, want h264 %dx%d at %d fps", *v, CompositeWidth, CompositeHeight, CompositeFPS)
	}
	if a.CodecName != "aac" || a.SampleRate != "16000" || a.Channels != 1 {
		return avgFPS, fmt.Errorf("videotest: audio %+v, want aac 16 kHz mono", *a)
	}
	return avgFPS, nil
}

// TileColor is the colour at (dx, dy) from the centre of the 640×360 tile
// at corner, in a 1920×1080 composite decoded at w×h (I420).
func TileColor(f []byte, w, h int, corner [2]int, dx, dy int) video.Color {
	img := video.Image{W: w, H: h, Y: f[:w*h], U: f[w*h : w*h*5/4], V: f[w*h*5/4:]}
	return img.At((corner[0]+320+dx)*w/CompositeWidth, (corner[1]+180+dy)*h/CompositeHeight)
}

// SameChroma says whether a and b have the same colour to within tol in U
// and V (a moving bar or a label may change the luma).
func SameChroma(a, b video.Color, tol int) bool {
	return ChromaDistance(a, b) <= tol
}

// ChromaDistance is the larger of a and b's differences in U and V.
func ChromaDistance(a, b video.Color) int {
	d := func(x, y byte) int { return max(int(x)-int(y), int(y)-int(x)) }
	return max(d(a.U, b.U), d(a.V, b.V))
}

// Flash says whether c is a synthetic video's flash: white (luma above
// 200, chroma neutral), which no participant's colour is.
func Flash(c video.Color) bool {
	return c.Y > 200 && SameChroma(c, video.Color{U: 128, V: 128}, 12)
}

// Runs returns the start indexes of the runs of true in on.
func Runs(on []bool) []int {
	var starts []int
	for i, v := range on {
		if v && (i == 0 || !on[i-1]) {
			starts = append(starts, i)
		}
	}
	return starts
}

// CountFrames returns how many frames the first video stream of a media
// file holds, counting its packets with ffprobe (a fragmented MP4's
// header does not say).
func CountFrames(path string) (int, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
		"-show_entries", "stream=nb_read_packets", "-of", "default=noprint_wrappers=1:nokey=1", path).Output()
	if err != nil {
		return 0, fmt.Errorf("videotest: ffprobe %s: %v", path, err)
	}
	var n int
	if _, err := fmt.Sscan(string(out), &n); err != nil {
		return 0, fmt.Errorf("videotest: frames of %s: %q", path, out)
	}
	return n, nil
}
