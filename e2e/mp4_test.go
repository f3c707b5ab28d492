package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/video"
	"github.com/callrec/callrec/video/videotest"
)

// TestDefaultStartRecordsMP4AndSurvivesKill9 runs a real `callrec serve`
// recording with its default format (a start that names no content,
// channel or format records a mixed audioVideo MP4, as ACS does, see
// docs/video.md), three participants through the simulate package (a red
// and a blue synthetic VP8 video with tones, and an audio-only tone), kills
// the server with SIGKILL mid-recording and starts it again on the same
// data directory. The chunk the killed process was writing is listed with
// end reason serviceRestarted; downloaded, ffprobe reads H.264 1920x1080
// and AAC 16 kHz, ffmpeg decodes it without errors, and the decoded
// pictures show the red and the blue tile where the layout puts them and
// the audio-only participant's grey placeholder.
func TestDefaultStartRecordsMP4AndSurvivesKill9(t *testing.T) {
	dataDir := t.TempDir()
	// The helper passes --default-format=wav; the later flag puts back the
	// server's own default, mp4.
	opts := serverOptions{dataDir: dataDir, args: []string{"--ice-loopback-only", "--default-format=mp4"}}
	srv := startServer(t, opts)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A start that names nothing.
	callID, recordingID := startRecordedCallWith(ctx, t, client, callautomation.StartRecordingOptions{})

	// Join one at a time so that the tiles are in this order.
	participants := []struct{ id, source string }{
		{"8:acs:red", "tone:440,video:red"},
		{"8:acs:blue", "tone:660,video:blue"},
		{"4:+14255550100", "tone:880"},
	}
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopStreams()
	for _, p := range participants {
		wg.Go(func() {
			// The streams end with an error when the server dies; what
			// matters is what the server kept.
			_, _ = simulate.Join(streamCtx, simulate.Options{
				ConnectionString: srv.ConnectionString(),
				CallID:           callID,
				Participant:      p.id,
				Source:           p.source,
				Duration:         2 * time.Minute,
				SettingEngine:    simulate.LoopbackSettingEngine(),
				ConnectTimeout:   60 * time.Second,
			})
		})
		waitForParticipant(ctx, t, client, callID, p.id, 60*time.Second)
	}
	// Let the three be recorded together for about 8 s, then kill the
	// server mid-recording (this only paces the test: what is checked is
	// what the file holds).
	time.Sleep(8 * time.Second)
	srv.Kill(t)
	stopStreams()

	srv = startServer(t, opts)
	client, err = callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := client.CallRecording()
	var summary *callautomation.RecordingSummary
	for r, err := range rec.List(callautomation.ListRecordingsOptions{ServerCallID: callID}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if r.RecordingID == recordingID {
			summary = &r
		}
	}
	if summary == nil {
		t.Fatalf("recording %s not listed after the restart", recordingID)
	}
	if summary.RecordingContentType != callautomation.RecordingContentAudioVideo ||
		summary.RecordingChannelType != callautomation.RecordingChannelMixed ||
		summary.RecordingFormatType != callautomation.RecordingFormatMp4 {
		t.Errorf("a start naming nothing recorded %s/%s/%s, want audioVideo/mixed/mp4",
			summary.RecordingContentType, summary.RecordingChannelType, summary.RecordingFormatType)
	}
	chunk := stopFirstChunk(ctx, t, client, recordingID)
	if chunk.EndReason != "serviceRestarted" {
		t.Fatalf("first chunk after restart: %+v, want end reason serviceRestarted", chunk)
	}
	path := filepath.Join(t.TempDir(), "recovered.mp4")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rec.DownloadTo(ctx, chunk.ContentLocation, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	checkRecoveredMP4Streams(t, path)
	if out, err := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("the recovered MP4 does not decode cleanly: %v: %s", err, out)
	}

	// Decoded at a tenth of the size, 16 fps: the frames where all three
	// are in the 2x2 grid show red, blue and the placeholder. The sweeping
	// bar darkens the luma only, so the colours are judged by chroma; a
	// flash (one white frame every 4 s) fails the check for that frame.
	const sw, sh = 192, 108
	frames, err := videotest.DecodeFrames(path, "scale=192:108,fps=16", sw, sh)
	if err != nil {
		t.Fatal(err)
	}
	grid := video.Grid(3, 1920, 1080, 640, 360)
	c := simulate.VideoColors["red"]
	red := video.RGB(int(c.R), int(c.G), int(c.B))
	c = simulate.VideoColors["blue"]
	blue := video.RGB(int(c.R), int(c.G), int(c.B))
	var together int
	var last [3]video.Color
	for _, f := range frames {
		last = [3]video.Color{videotest.TileColor(f, sw, sh, grid[0], 0, 0), videotest.TileColor(f, sw, sh, grid[1], 0, 0), videotest.TileColor(f, sw, sh, grid[2], -200, -100)}
		if videotest.SameChroma(last[0], red, 20) && videotest.SameChroma(last[1], blue, 20) && videotest.SameChroma(last[2], video.Tile, 8) && last[2].Y < 80 {
			together++
		}
	}
	t.Logf("recovered %d ms, %d frames at 16 fps; %d frames show red, blue and the placeholder in their tiles (last: %v)",
		chunkDurationMs(ctx, t, client, recordingID), len(frames), together, last)
	// At least a second of the three together: x264 at 1080p on a loaded
	// machine may run slower than real time and leave frames out.
	if together < 16 {
		t.Errorf("%d of %d frames show red at tile 0, blue at tile 1 and the placeholder at tile 2 (last frame: %v)",
			together, len(frames), last)
	}
}

// checkRecoveredMP4Streams requires one H.264 1920x1080 and one AAC 16 kHz
// stream, as ffprobe reads them.
func checkRecoveredMP4Streams(t *testing.T, path string) {
	t.Helper()
	streams, err := videotest.Probe(path)
	if err != nil {
		t.Fatal(err)
	}
	var videoOK, audioOK bool
	for _, s := range streams {
		switch s.CodecType {
		case "video":
			videoOK = s.CodecName == "h264" && s.Width == 1920 && s.Height == 1080
		case "audio":
			audioOK = s.CodecName == "aac" && s.SampleRate == "16000"
		}
	}
	if !videoOK || !audioOK || len(streams) != 2 {
		t.Errorf("ffprobe reads %+v, want H.264 1920x1080 and AAC 16 kHz", streams)
	}
}

// chunkDurationMs is the recording's duration as its result says, for the
// log.
func chunkDurationMs(ctx context.Context, t *testing.T, client *callautomation.Client, recordingID string) int64 {
	t.Helper()
	res, err := client.CallRecording().Result(ctx, recordingID)
	if err != nil || res.RecordingDurationMs == nil {
		return -1
	}
	return *res.RecordingDurationMs
}
