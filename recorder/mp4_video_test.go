package recorder_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/container/mp4"
	"github.com/callrec/callrec/recorder"
	"github.com/callrec/callrec/video"
	"github.com/callrec/callrec/video/videotest"
)

type quietLeg struct{}

func (quietLeg) Disconnect(string) {}

// avSource is a participant fed to the hub in real time: its audio (tone
// at level amp, plus a 2 kHz beep in beep spans) and its encoded video.
type avSource struct {
	id     string
	tone   float64
	amp    float64
	beeps  bool // a 2 kHz beep in [3, 3.1) s of every 4 s
	codec  callrec.VideoCodec
	frames []videotest.Frame // 30 fps
	p      *callmedia.Participant
}

// flashSource is a 640×360 30 fps lavfi source of colour c, all white in
// [3, 3.1) s of every 4 s when flash is set.
func flashSource(c string, flash bool) string {
	src := "color=c=" + c + ":s=640x360:r=30"
	if flash {
		src += `,drawbox=c=white:t=fill:enable='between(mod(t\,4)\,3\,3.1)'`
	}
	return src
}

func beepAt(sec float64) bool {
	m := math.Mod(sec, 4)
	return m >= 3 && m < 3.1
}

// feed pushes every source's audio (20 ms frames) and video (30 fps) into
// the hub as the call clock reaches them, from call-clock position pos0,
// until ctx ends.
func feed(ctx context.Context, srcs []*avSource, clock callmedia.Clock, pos0 int64) {
	buf := make([]int16, callrec.FrameSamples)
	next := pos0 // next audio frame's position
	vnext := 0   // next video frame
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := clock.Position(time.Now())
		for ; next+callrec.FrameSamples <= now; next += callrec.FrameSamples {
			for _, s := range srcs {
				for i := range buf {
					sec := float64(next+int64(i)-pos0) / callrec.SampleRate
					v := s.amp * math.Sin(2*math.Pi*s.tone*sec)
					if s.beeps && beepAt(sec) {
						v = 12000 * math.Sin(2*math.Pi*2000*sec)
					}
					buf[i] = int16(v)
				}
				s.p.Push(next, buf)
			}
		}
		for ; ; vnext++ {
			vpos := pos0 + int64(vnext)*callrec.SampleRate/30
			if vpos > now {
				break
			}
			for _, s := range srcs {
				if vnext < len(s.frames) {
					f := s.frames[vnext]
					s.p.PushVideo(callrec.VideoFrame{Pos: vpos, Codec: s.codec, Keyframe: f.Keyframe, Data: f.Data})
				}
			}
		}
	}
}

// TestMixedAudioVideoMP4 records a call of three participants through the
// hub, in real time: red (VP8, flashing white with a beep every 4 s), blue
// (H.264) and an audio-only phone, with a 4 s pause that covers one flash
// (at 3, 7, 11 and 15 s of the call; the pause is 8.5–12.5 s).
// The MP4 has ACS's format, each tile its colour at its place, every flash
// with its beep to within a frame, and the paused flash in neither track.
func TestMixedAudioVideoMP4(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	dir := t.TempDir()
	red, err := videotest.EncodeSource(dir, "VP8", flashSource("red", true), 30, 19)
	if err != nil {
		t.Fatal(err)
	}
	blue, err := videotest.EncodeSource(dir, "H264", flashSource("blue", false), 30, 19)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := callmedia.New(callmedia.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srcs := []*avSource{
		{id: "8:acs:red", beeps: true, codec: callrec.VideoVP8, frames: red},
		{id: "8:acs:blue", tone: 440, amp: 3000, codec: callrec.VideoH264, frames: blue},
		{id: "4:+14255550100", tone: 660, amp: 3000},
	}
	for _, s := range srcs {
		if s.p, err = hub.Attach(callID, s.id, quietLeg{}, nil); err != nil {
			t.Fatal(err)
		}
		defer s.p.Leave(0, 0)
	}
	store, err := blob.OpenDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng, err := recorder.New(recorder.Config{DataDir: filepath.Join(dir, "data"), Blob: store, Media: hub, ResourceID: "res-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	clock := srcs[0].p.Clock()
	t0 := time.Now()
	pos0 := clock.Position(t0)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { feed(ctx, srcs, clock, pos0) })
	defer wg.Wait()
	defer cancel()
	at := func(sec float64) { time.Sleep(time.Until(t0.Add(time.Duration(sec * float64(time.Second))))) }

	at(0.5)
	spec := callrec.RecordingSpec{ServerCallID: callID, Content: callrec.ContentAudioVideo, Channel: callrec.ChannelMixed, Format: callrec.FormatMp4}
	if err := eng.Start(t.Context(), &callrec.Recording{ID: "rec-av", Spec: spec, State: callrec.StateActive, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	at(8.5)
	if err := eng.Pause(t.Context(), "rec-av"); err != nil {
		t.Fatal(err)
	}
	at(12.5)
	if err := eng.Resume(t.Context(), "rec-av"); err != nil {
		t.Fatal(err)
	}
	at(17)
	chunks, err := eng.Stop(t.Context(), "rec-av", callrec.EndReasonSessionEnded)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if len(chunks) != 1 {
		t.Fatalf("chunks %+v", chunks)
	}
	c, err := eng.OpenContent(t.Context(), chunks[0].DocumentID, callrec.PartVideo)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rec.mp4")
	b, _ := io.ReadAll(c)
	c.Close()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if c.ContentType != "video/mp4" {
		t.Errorf("content type %q", c.ContentType)
	}
	fps := checkMP4Format(t, path)
	// 16.5 s from start to stop, less the 4 s pause (requests on a loaded
	// machine land some tens of milliseconds late).
	if d := float64(chunks[0].DurationMs) / 1000; d < 11.9 || d > 12.8 {
		t.Errorf("duration %.3f s, want 12.5 s", d)
	}

	const sw, sh = 192, 108 // decoded at a tenth of the size
	frames, err := videotest.DecodeFrames(path, "scale=192:108,fps=16", sw, sh)
	if err != nil {
		t.Fatal(err)
	}
	if n := float64(len(frames)) / 16; math.Abs(n-float64(chunks[0].DurationMs)/1000) > 0.15 {
		t.Errorf("%d frames (%.2f s at 16 fps) for %d ms", len(frames), n, chunks[0].DurationMs)
	}
	grid := video.Grid(3, 1920, 1080, 640, 360)
	at10 := func(f []byte, i, dx, dy int) video.Color {
		img := video.Image{W: sw, H: sh, Y: f[:sw*sh], U: f[sw*sh : sw*sh*5/4], V: f[sw*sh*5/4:]}
		return img.At((grid[i][0]+320+dx)/10, (grid[i][1]+180+dy)/10)
	}
	near := func(a, b video.Color, tol int) bool {
		d := func(x, y byte) int { return max(int(x)-int(y), int(y)-int(x)) }
		return d(a.Y, b.Y) <= tol && d(a.U, b.U) <= tol && d(a.V, b.V) <= tol
	}
	// Tiles in join order: red, blue, the phone's placeholder; at 4 s of
	// the file (4.5 s of the call: no flash).
	f := frames[64]
	if got := at10(f, 0, 0, 0); !near(got, video.RGB(255, 0, 0), 20) {
		t.Errorf("red tile shows %v", got)
	}
	if got := at10(f, 1, 0, 0); !near(got, video.RGB(0, 0, 255), 20) {
		t.Errorf("blue tile shows %v", got)
	}
	if got := at10(f, 2, -200, -100); !near(got, video.Tile, 8) {
		t.Errorf("the phone's placeholder shows %v, want %v", got, video.Tile)
	}
	// Flashes: the red tile turns white. Beeps: 2 kHz in 10 ms windows.
	vStart, aStart, err := videotest.StartTimes(path)
	if err != nil {
		t.Fatal(err)
	}
	var lit []bool
	for _, f := range frames {
		lit = append(lit, at10(f, 0, -200, -100).Y > 180) // off the placeholder's name
	}
	var flashes []float64
	for _, i := range videotest.Runs(lit) {
		flashes = append(flashes, vStart+float64(i)/16)
	}
	pcm := decodeAudio(t, path)
	var loud []bool
	for i := 0; i+160 <= len(pcm); i += 160 {
		r, rms := goertzel(pcm[i:i+160], 2000)
		loud = append(loud, r > 0.3 && rms > 2000)
	}
	var beeps []float64
	for _, i := range videotest.Runs(loud) {
		beeps = append(beeps, aStart+float64(i)/100)
	}
	t.Logf("flashes at %v s, beeps at %v s", flashes, beeps)
	// Call time 3, 7 and 15 s are recorded (11 s is paused): 2.5, 6.5 and
	// 10.5 s into the file, if the start, pause and resume were on time
	// (a loaded machine may take a few hundred milliseconds to start).
	if len(beeps) != 3 {
		t.Fatalf("%d beeps, want 3 (the one in the pause absent)", len(beeps))
	}
	// A host too loaded to encode in real time leaves frames out (the
	// average frame rate says so), and a flash may go with them; every
	// flash shown must be with its beep.
	if len(flashes) != 3 && (fps >= 15.5 || len(flashes) < 2) {
		t.Fatalf("%d flashes at %.1f fps, want 3 (the one in the pause absent)", len(flashes), fps)
	}
	for i, want := range []float64{2.5, 6.5, 10.5} {
		j := slices.IndexFunc(flashes, func(f float64) bool { return math.Abs(f-beeps[i]) < 0.5 })
		if j < 0 && len(flashes) < 3 {
			t.Logf("flash %d not shown: frames were left out (%.1f fps)", i, fps)
		} else if j < 0 || math.Abs(flashes[j]-beeps[i]) > 1.0/16 {
			t.Errorf("beep %d at %.3f s has no flash within a frame (flashes %v)", i, beeps[i], flashes)
		}
		if math.Abs(beeps[i]-want) > 0.5 || math.Abs(beeps[i]-beeps[0]-(want-2.5)) > 0.25 {
			t.Errorf("beep %d at %.3f s, want about %.1f s, %.1f s after the first", i, beeps[i], want, want-2.5)
		}
	}
	m := chunkMetadata(t, eng, chunks[0].DocumentID)
	want := recorder.RecordingInfo{ContentType: "audioVideo", ChannelType: "mixed", Format: "mp4",
		AudioConfiguration: recorder.AudioConfiguration{SampleRate: 16000, BitRate: 48000, Channels: 1},
		VideoConfiguration: &recorder.VideoConfiguration{LongerSideLength: 1920, ShorterSideLength: 1080, FrameRate: 16, BitRate: 1000000}}
	if got := m.RecordingInfo; got.ContentType != want.ContentType || got.Format != want.Format || got.AudioConfiguration != want.AudioConfiguration ||
		got.VideoConfiguration == nil || *got.VideoConfiguration != *want.VideoConfiguration || len(m.PauseResumeIntervals) != 1 || len(m.Participants) != 3 {
		t.Errorf("metadata %+v", m)
	}
}

// checkMP4Format checks ACS's format and returns the average frame rate.
func checkMP4Format(t *testing.T, path string) float64 {
	t.Helper()
	fps, err := videotest.CompositeFormat(path)
	if err != nil {
		t.Error(err)
	}
	// Every frame lasts 1/16 s, unless the encoder fell behind on a
	// loaded host and frames were left out: then fewer on average (the
	// last frame lasts to the end of the audio, less than 1/16 s).
	if fps < 8 || fps > 16.1 {
		t.Errorf("video at %.2f fps on average, want about 16", fps)
	}
	return fps
}

func decodeAudio(t *testing.T, path string) []int16 {
	t.Helper()
	pcm, err := videotest.DecodeAudio(path)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

func chunkMetadata(t *testing.T, eng *recorder.Engine, doc string) recorder.Metadata {
	t.Helper()
	c, err := eng.OpenContent(t.Context(), doc, callrec.PartMetadata)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var m recorder.Metadata
	if err := json.NewDecoder(c).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMP4ChunkRecoveredAfterCrash leaves an MP4 chunk in the spool as a
// crash does (the engine closed without stopping, and a fragment half
// written after the last sync), and recovers it: the published file plays,
// holding the seconds that were synced.
func TestMP4ChunkRecoveredAfterCrash(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	dir := t.TempDir()
	red, err := videotest.EncodeSource(dir, "VP8", flashSource("red", false), 30, 8)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := callmedia.New(callmedia.Config{})
	if err != nil {
		t.Fatal(err)
	}
	src := &avSource{id: "8:acs:red", tone: 440, amp: 3000, codec: callrec.VideoVP8, frames: red}
	if src.p, err = hub.Attach(callID, src.id, quietLeg{}, nil); err != nil {
		t.Fatal(err)
	}
	defer src.p.Leave(0, 0)
	store, err := blob.OpenDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := recorder.Config{DataDir: filepath.Join(dir, "data"), Blob: store, Media: hub, ResourceID: "res-1"}
	eng, err := recorder.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { feed(ctx, []*avSource{src}, src.p.Clock(), src.p.Clock().Position(t0)) })
	defer wg.Wait()
	defer cancel()
	spec := callrec.RecordingSpec{ServerCallID: callID, Content: callrec.ContentAudioVideo, Channel: callrec.ChannelMixed, Format: callrec.FormatMp4}
	if err := eng.Start(t.Context(), &callrec.Recording{ID: "rec-crash", Spec: spec, State: callrec.StateActive, StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// Until three fragments (seconds) are on disk: a loaded host may
	// encode slower than real time.
	var spool []string
	var synced mp4.Info
	for deadline := time.Now().Add(60 * time.Second); synced.Fragments < 3; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s, the spool holds %+v", synced)
		}
		spool, _ = filepath.Glob(filepath.Join(cfg.DataDir, "spool", "*", "chunk-0.mp4"))
		if len(spool) == 1 {
			if f, err := os.Open(spool[0]); err == nil {
				synced, _ = mp4.Scan(f)
				f.Close()
			}
		}
	}
	eng.Close()
	cancel()
	f, err := os.OpenFile(spool[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 0x40, 0, 'm', 'o', 'o', 'f', 0, 0, 0, 16}) // cut by the crash
	f.Close()

	eng2, err := recorder.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng2.Close()
	rec, err := eng2.Recover(t.Context())
	if err != nil || len(rec) != 1 || len(rec[0].Finalized) != 1 {
		t.Fatalf("recover: %+v, %v", rec, err)
	}
	chunk := rec[0].Finalized[0]
	if chunk.EndReason != callrec.EndReasonServiceRestarted {
		t.Errorf("end reason %q", chunk.EndReason)
	}
	c, err := eng2.OpenContent(t.Context(), chunk.DocumentID, callrec.PartVideo)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	c.Close()
	path := filepath.Join(dir, "recovered.mp4")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	checkMP4Format(t, path)
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("the recovered MP4 does not decode cleanly: %v: %s", err, out)
	}
	// At least the three seconds seen on disk, and the audio with them.
	if d := float64(chunk.DurationMs) / 1000; d < 2.9 || d > float64(time.Since(t0))/1e9 {
		t.Errorf("recovered %.2f s; three fragments were synced", d)
	}
	frames, err := videotest.DecodeFrames(path, "scale=192:108,fps=16", 192, 108)
	if err != nil || math.Abs(float64(len(frames))/16-float64(chunk.DurationMs)/1000) > 0.2 {
		t.Errorf("%d frames for %d ms: %v", len(frames), chunk.DurationMs, err)
	}
}
