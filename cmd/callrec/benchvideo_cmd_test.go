package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchPipelineVideo runs the video benchmark tiny and checks that it
// prints a sane comparison (not how fast anything is).
func TestBenchPipelineVideo(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := mustRun(t, "", "bench", "pipeline", "--video", "--participants", "2", "--seconds", "2", "--runs", "1")
	m := regexp.MustCompile(`(?m)^pipeline-video: callrec=([0-9.]+) ffmpeg=([0-9.]+) vs_ffmpeg=([0-9.]+) `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no pipeline-video line in:\n%s", out)
	}
	var v [3]float64
	for i := range v {
		f, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil || f <= 0 {
			t.Fatalf("figure %q in %q is not a positive number", m[i+1], m[0])
		}
		v[i] = f
	}
	if want := v[1] / v[0]; v[2] < want*0.95-0.01 || v[2] > want*1.05+0.01 {
		t.Errorf("vs_ffmpeg=%.2f, want ffmpeg/callrec = %.2f", v[2], want)
	}
	for _, who := range []string{"callrec (", "ffmpeg  ("} {
		if !strings.Contains(out, who) || !strings.Contains(out, "real-time factor") {
			t.Errorf("no %q line with its real-time factor in:\n%s", who, out)
		}
	}
	if r := runCLI(t, "", "bench", "pipeline", "--video", "--participants", "10", "--seconds", "1"); r.err == nil {
		t.Error("--video with 10 participants (more than the 3×3 grid) was accepted")
	}
}

// TestBenchVideoCompositeIsTheRecording checks what callrec's side of the
// benchmark makes: a 1920×1080 H.264 at 16 fps and AAC 16 kHz MP4 of the
// whole job, every frame composed.
func TestBenchVideoCompositeIsTheRecording(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	inputs, err := makeVideoInputs(t.Context(), dir, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.mp4")
	if err := compositeWithCallrec(t.Context(), path, inputs, 2); err != nil {
		t.Fatal(err)
	}
	b, err := exec.CommandContext(t.Context(), "ffprobe", "-v", "error", "-count_frames", "-show_entries",
		"stream=codec_name,width,height,sample_rate,nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, b)
	}
	got := strings.Fields(string(b))
	if len(got) != 2 || got[0] != "h264,1920,1080,32" || !strings.HasPrefix(got[1], "aac,16000,") {
		t.Fatalf("ffprobe: %q, want h264 1920x1080 with 32 frames (2 s at 16 fps) and aac at 16 kHz", got)
	}
}
