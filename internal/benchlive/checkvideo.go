package benchlive

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/video"
	"github.com/callrec/callrec/video/videotest"
)

// A composite is checked decoded at a tenth of its size, at its 16 fps.
const (
	checkW, checkH = 192, 108
	compositeFrame = time.Second / videotest.CompositeFPS // 62.5 ms
	// chromaTol is how far a tile's chroma may be from its participant's
	// colour (nearest wins: red and orange are 39 apart).
	chromaTol = 20
)

// videoCheck is the verdict on one composite (every chunk of it).
type videoCheck struct {
	audio recordingCheck // the tones, as in the audio-only check
	// Frames is the frames the file holds; Expected how many its
	// duration holds at 16 fps: the difference is frames the encoder left
	// out, behind real time.
	Frames, Expected int
	// Decoded is the frames decoded at 16 fps; Tiled those where every
	// participant's colour is in its own tile of the full grid.
	Decoded, Tiled int
	// Beeps in the span where every tile showed; Flashes shown; Matched
	// flashes within a frame of their beep; MaxOffset the largest such
	// offset.
	Beeps, Flashes, Matched int
	MaxOffset               time.Duration
	Problem                 string
}

func (c *videoCheck) addProblem(p string) {
	if c.Problem != "" {
		c.Problem += "; "
	}
	c.Problem += p
}

// checkComposite downloads a stopped audioVideo recording's MP4 chunks and
// checks them by content: the format (videotest.CompositeFormat), every
// participant's tone without a gap (checkTracks), its colour in a tile of
// its own, and every flash shown in its tile within a frame of its beep.
func checkComposite(ctx context.Context, rec *callautomation.CallRecording, id string, ps []*participant, amp float64) videoCheck {
	var c videoCheck
	chunks, err := waitChunks(ctx, rec, id)
	if err != nil {
		c.addProblem(err.Error())
		return c
	}
	dir, err := os.MkdirTemp("", "callrec-bench-mp4-")
	if err != nil {
		c.addProblem(err.Error())
		return c
	}
	defer os.RemoveAll(dir)
	var pcm []int16
	for _, ch := range chunks {
		path := filepath.Join(dir, fmt.Sprintf("%d.mp4", ch.Index))
		if err := download(ctx, rec, ch.ContentLocation, path); err != nil {
			c.addProblem(err.Error())
			return c
		}
		a, err := c.checkChunk(path, ps, amp)
		if err != nil {
			c.addProblem(fmt.Sprintf("chunk %d: %v", ch.Index, err))
			return c
		}
		pcm = append(pcm, a...)
	}
	c.audio = checkTracks([][]int16{pcm}, ps, amp)
	if !c.audio.intact() {
		c.addProblem(c.audio.Problem)
	}
	switch {
	case c.Tiled < videotest.CompositeFPS:
		c.addProblem(fmt.Sprintf("%d of %d frames show every participant's colour in a tile of its own", c.Tiled, c.Decoded))
	case c.Matched == 0:
		c.addProblem(fmt.Sprintf("no flash shown with its beep (%d flashes, %d beeps)", c.Flashes, c.Beeps))
	}
	return c
}

func download(ctx context.Context, rec *callautomation.CallRecording, location, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = rec.DownloadTo(ctx, location, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("download %s: %w", location, err)
	}
	return nil
}

// checkChunk checks one MP4 file and returns its audio (16 kHz mono).
func (c *videoCheck) checkChunk(path string, ps []*participant, amp float64) ([]int16, error) {
	if _, err := videotest.CompositeFormat(path); err != nil {
		return nil, err
	}
	vStart, aStart, err := videotest.StartTimes(path)
	if err != nil {
		return nil, err
	}
	pcm, err := videotest.DecodeAudio(path)
	if err != nil {
		return nil, err
	}
	n, err := videotest.CountFrames(path)
	if err != nil {
		return nil, err
	}
	// The file's duration is its audio's; at 16 fps it holds one frame
	// per 1000 samples.
	dur := float64(len(pcm)) / 16000
	c.Frames += n
	c.Expected += int(math.Round(dur * videotest.CompositeFPS))
	fps := float64(n) / max(dur, 1e-3)
	frames, err := videotest.DecodeFrames(path, fmt.Sprintf("scale=%d:%d,fps=%d", checkW, checkH, videotest.CompositeFPS), checkW, checkH)
	if err != nil {
		return nil, err
	}
	c.Decoded += len(frames)

	// Each participant's tile: where its colour is, in the frames where
	// every participant's is, each in a tile of its own.
	grid := video.Grid(len(ps), videotest.CompositeWidth, videotest.CompositeHeight, 640, 360)
	colours := make([]video.Color, len(ps))
	for k, p := range ps {
		rgb := simulate.VideoColors[p.video.colour]
		colours[k] = video.RGB(int(rgb.R), int(rgb.G), int(rgb.B))
	}
	var tileOf []int // participant → cell, in the first whole frame
	first, last := -1, -1
	for j, f := range frames {
		at := make([]int, len(ps))
		for k := range at {
			at[k] = -1
		}
		whole := true
		for cell, corner := range grid {
			got := videotest.TileColor(f, checkW, checkH, corner, 0, 0)
			best, bestD := -1, chromaTol+1
			for k, col := range colours {
				if d := videotest.ChromaDistance(got, col); d < bestD {
					best, bestD = k, d
				}
			}
			if best < 0 || at[best] >= 0 {
				whole = false
				break
			}
			at[best] = cell
		}
		if !whole {
			continue
		}
		if tileOf == nil {
			tileOf, first = at, j
		}
		if slices.Equal(at, tileOf) {
			c.Tiled++
			last = j
		}
	}
	if first < 0 {
		return pcm, nil // nothing tiled: reported by the caller
	}
	// Flashes in each participant's tile, beeps in the audio, in the span
	// the grid was whole.
	from := vStart + float64(first)/videotest.CompositeFPS
	to := vStart + float64(last+1)/videotest.CompositeFPS
	threshold := amp * amp / 4 / 10
	for k, p := range ps {
		lit := make([]bool, len(frames))
		for j := first; j <= last; j++ {
			lit[j] = videotest.Flash(videotest.TileColor(frames[j], checkW, checkH, grid[tileOf[k]], 0, 0))
		}
		var flashes, beeps []float64
		for _, j := range videotest.Runs(lit) {
			flashes = append(flashes, vStart+float64(j)/videotest.CompositeFPS)
		}
		for _, i := range beepOnsets(tonePresence(pcm, p.beepHz, threshold)) {
			beeps = append(beeps, aStart+float64(i*analysisHop)/16000)
		}
		// Every flash shown goes with a beep, within a frame.
		c.Flashes += len(flashes)
		for _, f := range flashes {
			off := nearest(beeps, f)
			switch {
			case off > 500*time.Millisecond:
				c.addProblem(fmt.Sprintf("%s: a flash at %.3f s without a beep (beeps at %.3f)", p.rawID, f, beeps))
			case off > compositeFrame:
				c.addProblem(fmt.Sprintf("%s: the flash at %.3f s is %s from its beep, more than a frame", p.rawID, f, off))
			default:
				c.Matched++
				c.MaxOffset = max(c.MaxOffset, off)
			}
		}
		// Every beep while the grid was whole, with room for its flash
		// before the grid's end, goes with a flash; but a flash may go with
		// frames the encoder left out (the file says so: fewer frames than
		// its duration holds).
		missing := 0
		for _, b := range beeps {
			if b < from || b+0.5 >= to {
				continue
			}
			c.Beeps++
			if nearest(flashes, b) > compositeFrame {
				missing++
			}
		}
		if missing > 0 && fps >= videotest.CompositeFPS-0.5 {
			c.addProblem(fmt.Sprintf("%s: %d beeps without their flash at %.1f fps (flashes at %.3f, beeps at %.3f)", p.rawID, missing, fps, flashes, beeps))
		}
	}
	return pcm, nil
}

// nearest is how far t is from the nearest of times (an hour if none).
func nearest(times []float64, t float64) time.Duration {
	d := time.Hour
	for _, x := range times {
		d = min(d, time.Duration(math.Abs(t-x)*float64(time.Second)))
	}
	return d
}

// beepOnsets returns the windows where a beep starts: the first of
// settledHops windows in a row with its tone, after one without.
func beepOnsets(present []bool) []int {
	var out []int
	run := 0
	for i, on := range present {
		if !on {
			run = 0
			continue
		}
		if run++; run == settledHops {
			out = append(out, i-settledHops+1)
		}
	}
	return out
}

// checkComposites checks every composite, one at a time (decoding 1080p
// is heavy), and adds up the verdicts.
func checkComposites(ctx context.Context, rec *callautomation.CallRecording, calls []*benchCall, amp float64, res *Result) {
	for _, call := range calls {
		c := checkComposite(ctx, rec, call.recordingID, call.ps, amp)
		res.Recordings++
		res.Clicks += c.audio.Clicks
		res.Gaps += c.audio.Gaps
		res.VideoFrames += c.Frames
		res.VideoExpected += c.Expected
		res.VideoTiled += c.Tiled
		res.VideoDecoded += c.Decoded
		res.Beeps += c.Beeps
		res.Flashes += c.Flashes
		res.FlashMatched += c.Matched
		res.FlashMaxOffset = max(res.FlashMaxOffset, c.MaxOffset)
		if res.Nodes != nil {
			res.Nodes[call.node].Recordings++
		}
		if c.Problem == "" {
			res.Intact++
			if res.Nodes != nil {
				res.Nodes[call.node].Intact++
			}
		} else {
			res.Problems = append(res.Problems, fmt.Sprintf("call %s: %s", call.id, c.Problem))
		}
	}
}
