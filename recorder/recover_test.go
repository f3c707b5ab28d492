package recorder_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/container/mp3"
	"github.com/callrec/callrec/recorder"
)

// reopen abandons r's engine (as a crash would, minus the final sync of
// Close) and opens a new one on the same data directory and store.
func (r *rig) reopen(t *testing.T) *recorder.Engine {
	t.Helper()
	r.eng.Close()
	e, err := recorder.New(recorder.Config{DataDir: r.dir, Blob: r.store, Media: r.src, Clock: r.clock.Now, QueueFrames: 1 << 14,
		MaxUnmixedChannels: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	r.eng = e
	return e
}

func TestRestartContinuesWithNextChunkAndSameChannels(t *testing.T) {
	r := newRig(t, func(c *recorder.Config) { c.MaxUnmixedChannels = 3 })
	A := voice{id: "A", freq: 500, amp: 6000, from: 0, to: 10}
	B := voice{id: "B", freq: 1100, amp: 6000, from: 0, to: 10}
	spec := callrec.RecordingSpec{Channel: callrec.ChannelUnmixed}
	r.start("rec-restart", spec)
	r.play(2, B, A)                     // B's first frame arrives first: channel 0
	time.Sleep(1100 * time.Millisecond) // at least one commit tick (every 500 ms)
	r.reopen(t)

	// Without Recover, Start finalizes the leftover chunk and continues.
	r.start("rec-restart", spec)
	r.play(1, A, B) // A first now: a new map would give A channel 0
	chunks := r.stop("rec-restart", callrec.EndReasonSessionEnded)
	if len(chunks) != 2 {
		t.Fatalf("%d chunks, want 2", len(chunks))
	}
	if chunks[0].EndReason != "serviceRestarted" || chunks[1].EndReason != "sessionEnded" || chunks[1].Index != 1 {
		t.Fatalf("chunks %+v", chunks)
	}
	first := r.audio(chunks[0].DocumentID)
	// Audio up to Lateness before the last commit tick was synced.
	if s := seconds(first); s < 1.5 || s > 2 {
		t.Errorf("first chunk holds %.3f s, want 1.5–2 s", s)
	}
	second := r.audio(chunks[1].DocumentID)
	if seconds(second) != 1 {
		t.Errorf("second chunk holds %.3f s, want 1 s", seconds(second))
	}
	for _, au := range []struct {
		name string
		ch   [][]int16
	}{{"first", first.Channels}, {"second", second.Channels}} {
		n := float64(len(au.ch[0])) / callrec.SampleRate
		expectSpans(t, au.name+" ch0", au.ch[0], 1100, [2]float64{0, n})
		expectSpans(t, au.name+" ch1", au.ch[1], 500, [2]float64{0, n})
	}
	if _, err := os.Stat(filepath.Join(r.dir, "spool")); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(r.dir, "spool")); len(ents) != 0 {
		t.Errorf("spool not cleaned after stop: %d entries", len(ents))
	}
}

func TestRecoverThenStop(t *testing.T) {
	r := newRig(t, nil)
	r.start("rec-rec", callrec.RecordingSpec{})
	r.play(1.5, voice{id: "a", freq: 440, amp: 8000, to: 9})
	time.Sleep(1100 * time.Millisecond) // at least one commit tick (every 500 ms)
	e := r.reopen(t)
	rec, err := e.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != 1 || rec[0].Recording.ID != "rec-rec" || len(rec[0].Finalized) != 1 || len(rec[0].Chunks) != 1 {
		t.Fatalf("recovered %+v", rec)
	}
	c := rec[0].Finalized[0]
	if c.EndReason != callrec.EndReasonServiceRestarted || c.DurationMs < 1000 {
		t.Errorf("recovered chunk %+v", c)
	}
	if m := r.metadata(c.DocumentID); m.SHA256 != c.SHA256 || m.ChunkDuration != float64(c.DurationMs) {
		t.Errorf("metadata %+v for %+v", m, c)
	}
	// A second Recover finds nothing new; Stop ends the recording.
	if again, _ := e.Recover(context.Background()); len(again) != 1 || len(again[0].Finalized) != 0 {
		t.Errorf("second recover %+v", again)
	}
	chunks, err := e.Stop(context.Background(), "rec-rec", callrec.EndReasonServiceRestarted)
	if err != nil || len(chunks) != 1 || chunks[0] != c {
		t.Fatalf("stop after recover: %+v %v", chunks, err)
	}
	if _, err := e.Stop(context.Background(), "rec-rec", "sessionEnded"); callrec.CodeOf(err) != callrec.CodeRecordingNotFound {
		t.Errorf("second stop: %v", err)
	}
}

// TestKill9 records in a child process, kills it with SIGKILL mid-recording,
// then recovers: the chunk must be a valid WAV (or playable MP3) holding
// everything up to at least one second before the kill.
func TestKill9(t *testing.T) {
	if os.Getenv("CALLREC_CRASH_CHILD") != "" {
		t.Skip("child")
	}
	for _, format := range []callrec.RecordingFormat{callrec.FormatWav, callrec.FormatMp3} {
		t.Run(string(format), func(t *testing.T) { kill9(t, format) })
	}
}

func kill9(t *testing.T, format callrec.RecordingFormat) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CALLREC_CRASH_CHILD="+dir, "CALLREC_CRASH_FORMAT="+string(format))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var started time.Time
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "STARTED "); ok {
			ns, _ := strconv.ParseInt(s, 10, 64)
			started = time.Unix(0, ns)
			break
		}
	}
	if started.IsZero() {
		t.Fatal("child did not start recording")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	time.Sleep(3 * time.Second)
	killedAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	store, err := blob.OpenDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e, err := recorder.New(recorder.Config{DataDir: dir, Blob: store})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rec, err := e.Recover(context.Background())
	if err != nil || len(rec) != 1 || len(rec[0].Finalized) != 1 {
		t.Fatalf("recover: %+v %v", rec, err)
	}
	c := rec[0].Finalized[0]
	if c.EndReason != "serviceRestarted" {
		t.Errorf("end reason %s", c.EndReason)
	}
	r := &rig{call: &call{t: t}, eng: e, store: store}
	au := r.audio(c.DocumentID)
	want := killedAt.Sub(started).Seconds() - 1
	got := seconds(au)
	t.Logf("killed %.3f s after start; recovered %.3f s of audio", killedAt.Sub(started).Seconds(), got)
	if got < want {
		t.Fatalf("recovered %.3f s, want at least %.3f s (all but the last second)", got, want)
	}
	// The content is the child's tone, continuous from the start (for an
	// MP3, after its placeholder frame and the encoder and decoder delay, 1105
	// samples: 105 ms).
	from := 0.0
	if format == callrec.FormatMp3 {
		from = float64(mp3.SamplesPerFrame+1105) / callrec.SampleRate
	}
	expectSpans(t, "recovered", au.Channels[0], 440, [2]float64{from, math.Floor(got*10) / 10})
}

// TestCrashChild is the process TestKill9 kills: it records a 440 Hz tone in
// real time until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("CALLREC_CRASH_CHILD")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	store, err := blob.OpenDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	src := &testSource{now: 0}
	e, err := recorder.New(recorder.Config{DataDir: dir, Blob: store, Media: src})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	format := callrec.RecordingFormat(os.Getenv("CALLREC_CRASH_FORMAT"))
	spec := callrec.RecordingSpec{ServerCallID: callID, Content: callrec.ContentAudio, Format: format, Channel: callrec.ChannelMixed}
	if err := e.Start(context.Background(), &callrec.Recording{ID: "rec-kill", Spec: spec, StartedAt: start}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("STARTED %d\n", start.UnixNano())
	buf := make([]int16, callrec.FrameSamples)
	for k := int64(0); ; k++ {
		// Frame k covers [k, k+1) × 20 ms and is delivered when it ends.
		time.Sleep(time.Until(start.Add(time.Duration(k+1) * 20 * time.Millisecond)))
		for i := range buf {
			n := k*callrec.FrameSamples + int64(i)
			buf[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(n)/callrec.SampleRate))
		}
		src.frame(callrec.Frame{Participant: "a", Pos: k * callrec.FrameSamples, Samples: buf})
	}
}
