package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/chromiumtest"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/video"
	"github.com/callrec/callrec/video/videotest"
)

// browserGreen is the colour of the browser's fake camera.
var browserGreen = video.RGB(0, 170, 0)

// TestBrowserCameraInComposite: headless Chromium joins a call on the join
// page with a fake camera showing a green picture (a y4m file ffmpeg made)
// and a fake microphone playing 660 Hz, then a synthetic `simulate`
// participant with a red picture and 440 Hz; the call is recorded to a
// mixed audioVideo MP4. Downloaded and decoded with ffmpeg, the MP4 shows
// the browser's green in the first tile and the red in the second (join
// order), and its audio holds both tones.
//
// The browser and the server run in a network namespace with only lo
// (`unshare -n`, as root), so nothing leaves 127.0.0.1.
func TestBrowserCameraInComposite(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	if !onlyLoopback(t) {
		rerunInLoopbackNamespace(t)
		return
	}
	dir := t.TempDir()
	y4m := filepath.Join(dir, "green.y4m")
	// Chromium loops the file; 2 s of a flat colour at 15 fps.
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
		"-i", "color=c=0x00AA00:s=640x360:r=15", "-t", "2", "-pix_fmt", "yuv420p", y4m).CombinedOutput(); err != nil {
		t.Fatalf("making the fake camera's y4m: %v: %s", err, out)
	}
	wavPath := filepath.Join(dir, "tone660.wav")
	writeWAV(t, wavPath, 660)

	srv := startServer(t, serverOptions{args: []string{"--ice-loopback-only"}})
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	callID, recordingID := startRecordedCallWith(ctx, t, client, callautomation.StartRecordingOptions{
		RecordingContent: callautomation.RecordingContentAudioVideo,
		RecordingChannel: callautomation.RecordingChannelMixed,
		RecordingFormat:  callautomation.RecordingFormatMp4,
	})

	const browserID, simID = "8:acs:browser", "8:acs:red"
	const browserName, simName = "Dr Green Browser", "Red Robin Simulated"
	joinURL := joinURLFor(ctx, t, srv, callID, browserID) + "&autojoin=1&raw=1&name=" + url.QueryEscape(browserName)
	chromiumtest.Start(t, chromium, dir, joinURL,
		"--use-file-for-fake-video-capture="+y4m, "--use-file-for-fake-audio-capture="+wavPath)
	waitForParticipant(ctx, t, client, callID, browserID, 90*time.Second)

	streamCtx, stopStream := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopStream()
	wg.Go(func() {
		if _, err := simulate.Join(streamCtx, simulate.Options{
			ConnectionString: srv.ConnectionString(),
			CallID:           callID,
			Participant:      simID,
			DisplayName:      simName,
			Source:           "tone:440,video:red",
			Duration:         2 * time.Minute,
			SettingEngine:    simulate.LoopbackSettingEngine(),
			ConnectTimeout:   60 * time.Second,
		}); err != nil && streamCtx.Err() == nil {
			t.Errorf("simulate %s: %v", simID, err)
		}
	})
	waitForParticipant(ctx, t, client, callID, simID, 60*time.Second)
	// About 15 s of the two together (this only paces the test: what is
	// checked is what the file holds).
	time.Sleep(15 * time.Second)
	chunk := stopFirstChunk(ctx, t, client, recordingID)
	stopStream()

	path := filepath.Join(dir, "call.mp4")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CallRecording().DownloadTo(ctx, chunk.ContentLocation, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	checkRecoveredMP4Streams(t, path)

	const sw, sh = 192, 108
	frames, err := videotest.DecodeFrames(path, "scale=192:108,fps=16", sw, sh)
	if err != nil {
		t.Fatal(err)
	}
	grid := video.Grid(2, 1920, 1080, 640, 360)
	c := simulate.VideoColors["red"]
	red := video.RGB(int(c.R), int(c.G), int(c.B))
	var together int
	var last [2]video.Color
	shown := make([]bool, len(frames))
	for i, f := range frames {
		last = [2]video.Color{videotest.TileColor(f, sw, sh, grid[0], 0, 0), videotest.TileColor(f, sw, sh, grid[1], 0, 0)}
		if videotest.SameChroma(last[0], browserGreen, 24) && videotest.SameChroma(last[1], red, 20) {
			together++
			shown[i] = true
		}
	}
	t.Logf("%d frames at 16 fps (%d ms); %d show the browser's green at tile 0 and red at tile 1 (last: %v)",
		len(frames), chunkDurationMs(ctx, t, client, recordingID), together, last)
	// At least 3 s of the two together: x264 at 1080p on a loaded machine
	// may run slower than real time and leave frames out.
	if together < 48 {
		t.Errorf("%d of %d frames show green at tile 0 and red at tile 1 (last frame %v, want %v and %v)",
			together, len(frames), last, browserGreen, red)
	}

	checkLabels(t, path, grid, shown, browserName, simName)

	pcm, err := videotest.DecodeAudio(path)
	if err != nil {
		t.Fatal(err)
	}
	// In the 1 s windows from the first frame with both pictures on, each
	// tone is there, well above what is around it, in most windows (a
	// browser starved of CPU on a loaded machine may leave gaps).
	const rate = 16000
	first := slices.Index(shown, true)
	if first < 0 {
		t.Fatal("no frame shows both pictures")
	}
	for _, freq := range []float64{440, 660} {
		windows, heard := 0, 0
		for i := first * rate / 16; i+rate <= len(pcm); i += rate {
			windows++
			part := pcm[i : i+rate]
			if p := audio.TonePower(part, rate, freq); p > 1e-3 && p > 100*audio.TonePower(part, rate, 550) {
				heard++
			}
		}
		t.Logf("%v Hz heard in %d of %d 1 s windows", freq, heard, windows)
		if windows < 3 || heard < (windows+1)/2 {
			t.Errorf("%v Hz heard in %d of %d 1 s windows from the first frame with both pictures, want most", freq, heard, windows)
		}
	}
}

// checkLabels checks that the two tiles in a row at grid are labelled
// with their display names, not the raw ids' fallbacks ("browser", "red"),
// in the frames (at 16 fps) where shown says both tiles show their
// pictures: the label's grey box (text changes the luma only) reaches
// 180 px into each tile, past the end of the fallback's box (116 and
// 60 px) and short of the name's (242 and 284 px), while 400 px in the
// tile shows its picture.
func checkLabels(t *testing.T, path string, grid [][2]int, shown []bool, names ...string) {
	t.Helper()
	// The label box's rows are 316–354 of the tile; 32 rows from 318.
	const w, h, inside, outside = 1280, 32, 180, 400
	strips, err := videotest.DecodeFrames(path, fmt.Sprintf("crop=%d:%d:%d:%d,fps=16", w, h, grid[0][0], grid[0][1]+318), w, h)
	if err != nil {
		t.Fatal(err)
	}
	labelled, pictured := 0, 0
	for i, s := range strips {
		if i >= len(shown) || !shown[i] {
			continue
		}
		pictured++
		img := video.Image{W: w, H: h, Y: s[:w*h], U: s[w*h : w*h*5/4], V: s[w*h*5/4:]}
		ok := true
		for i := range names {
			in, out := img.At(i*640+inside, h/2), img.At(i*640+outside, h/2)
			ok = ok && videotest.SameChroma(in, video.LabelBack, 10) && !videotest.SameChroma(out, video.LabelBack, 30)
		}
		if ok {
			labelled++
		}
	}
	t.Logf("%d of the %d frames with both pictures show both tiles labelled with %q", labelled, pictured, names)
	if pictured == 0 || labelled < pictured*9/10 {
		t.Errorf("%d of the %d frames with both pictures show the tiles labelled with %q (their grey label box 180 px into the tile)",
			labelled, pictured, names)
	}
}

// writeWAV writes 10 s of a sine at freq, half scale, 48 kHz mono (the
// fake microphone loops it).
func writeWAV(t *testing.T, path string, freq float64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := audio.WriteWAV(f, audio.PCM{Rate: 48000, Channels: 1, Samples: audio.Sine(freq, 0.5, 48000, 10*48000)}); err != nil {
		t.Fatal(err)
	}
}

// joinURLFor mints a join token with `callrec call token` and returns its
// join page URL.
func joinURLFor(ctx context.Context, t *testing.T, srv *server, callID, rawID string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, callrecBinary(t), "call", "token", "--call", callID, "--participant", rawID)
	cmd.Env = append(childEnv(), "CALLREC_CONNECTION_STRING="+srv.ConnectionString())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("callrec call token: %v", err)
	}
	var tok struct {
		JoinURL string `json:"joinUrl"`
	}
	if err := json.Unmarshal(out, &tok); err != nil || tok.JoinURL == "" {
		t.Fatalf("callrec call token printed %s: %v", out, err)
	}
	return tok.JoinURL
}
