package mp3_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/container/mp3"
)

// benchSignal is 60 s of a speech-like signal: three tones whose levels
// move at syllable rate, over low noise.
func benchSignal() []int16 {
	r := rand.New(rand.NewPCG(1, 2))
	pcm := make([]int16, 60*rate)
	for i := range pcm {
		t := float64(i) / rate
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*t)
		v := env*(3000*math.Sin(2*math.Pi*220*t)+2000*math.Sin(2*math.Pi*660*t)+1000*math.Sin(2*math.Pi*1760*t)) + 300*r.NormFloat64()
		pcm[i] = int16(v)
	}
	return pcm
}

// cpu is this process's CPU time plus that of its waited-for children.
func cpu() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	d := func(tv syscall.Timeval) time.Duration { return time.Duration(tv.Nano()) }
	return d(self.Utime) + d(self.Stime) + d(kids.Utime) + d(kids.Stime)
}

// BenchmarkEncode60sVsFFmpeg encodes the same 60 s of PCM with the Writer
// (to a finalized file) and with one `ffmpeg -c:a libmp3lame -b:a 48k`
// process, side by side in each iteration, and reports the CPU of each and
// their ratio. Run it alone on a quiet machine:
//
//	go test -run XXX -bench Encode60s -benchtime 10x ./container/mp3
func BenchmarkEncode60sVsFFmpeg(b *testing.B) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg not installed")
	}
	pcm := benchSignal()
	raw := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(s))
	}
	dir := b.TempDir()
	var ours, theirs time.Duration
	b.ResetTimer()
	for b.Loop() {
		c0 := cpu()
		f, err := os.Create(filepath.Join(dir, "w.mp3"))
		if err != nil {
			b.Fatal(err)
		}
		w, err := mp3.NewWriter(f)
		if err != nil {
			b.Fatal(err)
		}
		for p := pcm; len(p) > 0; p = p[min(len(p), 320):] { // 20 ms at a time, as the recorder writes
			if err := w.Write(p[:min(len(p), 320)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Finalize(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		ours += cpu() - c0

		cmd := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "pipe:0",
			"-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", filepath.Join(dir, "f.mp3"))
		cmd.Stdin = bytes.NewReader(raw)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		theirs += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	n := float64(b.N)
	b.ReportMetric(ours.Seconds()*1000/n, "writer-cpu-ms/60s")
	b.ReportMetric(theirs.Seconds()*1000/n, "ffmpeg-cpu-ms/60s")
	b.ReportMetric(60/(ours.Seconds()/n), "writer-x-realtime")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "ffmpeg/writer")
}
