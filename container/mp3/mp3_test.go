package mp3_test

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/container/mp3"
	"github.com/callrec/callrec/container/mp3/mp3test"
)

const rate = mp3.SampleRate

// tone returns silence samples of zeros followed by n samples of a tone at
// freq Hz and amplitude amp.
func tone(silence, n int, freq, amp float64) []int16 {
	out := make([]int16, silence+n)
	for i := range n {
		out[silence+i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	return out
}

// encode writes pcm to an MP3 file in uneven pieces, as audio arrives, and
// finalizes it unless crash is set (then it only syncs).
func encode(t *testing.T, path string, pcm []int16, crash bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := mp3.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for len(pcm) > 0 {
		k := min(len(pcm), 317)
		if err := w.Write(pcm[:k]); err != nil {
			t.Fatal(err)
		}
		pcm = pcm[k:]
	}
	if crash {
		// Sync until the frames of all but the last 100 ms are on disk (at
		// once with libmp3lame; an ffmpeg child process lags its input).
		deadline := time.Now().Add(time.Minute)
		for {
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			if w.Bytes()/mp3.FrameBytes*mp3.SamplesPerFrame >= w.Frames()-rate/10 || time.Now().After(deadline) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := w.Finalize(); err != nil {
		t.Fatal(err)
	}
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

func probe(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries",
		"stream=codec_name,sample_rate,channels,bit_rate,duration", "-of", "default=nw=1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m
}

func rmsDB(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return 10 * math.Log10(s/float64(len(x)))
}

// dominant returns the frequency, in steps of 1 Hz between lo and hi, with
// the most energy in x (Goertzel).
func dominant(x []int16, lo, hi int) int {
	best, bestP := 0, -1.0
	for f := lo; f <= hi; f++ {
		c := 2 * math.Cos(2*math.Pi*float64(f)/rate)
		var s1, s2 float64
		for _, v := range x {
			s1, s2 = float64(v)+c*s1-s2, s1
		}
		if p := s1*s1 + s2*s2 - c*s1*s2; p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// onset returns the first sample whose magnitude reaches level.
func onset(x []int16, level int) int {
	for i, v := range x {
		if int(v) >= level || int(v) <= -level {
			return i
		}
	}
	return -1
}

func TestEncoderNamed(t *testing.T) {
	if !strings.Contains(mp3.Encoder(), "libmp3lame") {
		t.Fatalf("Encoder() = %q", mp3.Encoder())
	}
	t.Log(mp3.Encoder())
}

// A finalized file plays back exactly the samples written: the right
// length to the sample, the tone at the right place, frequency and level.
func TestToneRoundTrip(t *testing.T) {
	needFFmpeg(t)
	const silence, n, amp = 8000, 3*rate + 123, 8000.0
	in := tone(silence, n, 440, amp)
	path := filepath.Join(t.TempDir(), "tone.mp3")
	encode(t, path, in, false)

	p := probe(t, path)
	for k, want := range map[string]string{"codec_name": "mp3", "sample_rate": "16000", "channels": "1", "bit_rate": "48000"} {
		if p[k] != want {
			t.Errorf("ffprobe %s=%q, want %q", k, p[k], want)
		}
	}
	info, err := mp3.Scan(bytes.NewReader(mustRead(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	if !info.Tagged || !info.Tag.HasLAME || info.Samples != int64(len(in)) || info.Tag.Frames != info.Frames {
		t.Errorf("Scan: %+v, want a LAME tag for %d samples in %d frames", info, len(in), info.Frames)
	}
	// ffprobe takes the duration from the tag: Debian's ffprobe 5.1 reports
	// whole frames (delay and padding included, start_time = the delay);
	// decoders drop both, which the sample count below checks exactly.
	dur, err := strconv.ParseFloat(p["duration"], 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q", p["duration"])
	}
	if want := float64(info.Tag.Frames*mp3.SamplesPerFrame) / rate; math.Abs(dur-want) > 0.001 {
		t.Errorf("ffprobe duration %.4f s, the tag's %d frames last %.4f s", dur, info.Tag.Frames, want)
	}

	out := mp3test.DecodeFile(t, path)
	if len(out) != len(in) {
		t.Fatalf("decoded %d samples, wrote %d: delay or padding not dropped", len(out), len(in))
	}
	// No encoder delay: the tone starts where it was written (within 2 ms).
	if got := onset(out, int(amp/2)); got < silence || got > silence+32 {
		t.Errorf("tone onset at sample %d, want %d..%d", got, silence, silence+32)
	}
	body := out[silence+1600 : silence+n-1600]
	if f := dominant(body, 300, 600); f < 438 || f > 442 {
		t.Errorf("dominant frequency %d Hz, want 440", f)
	}
	if d := rmsDB(body) - rmsDB(in[silence+1600:silence+n-1600]); math.Abs(d) > 1 {
		t.Errorf("level differs by %.2f dB", d)
	}
	if d := rmsDB(out[:silence-400]); d > 20 { // well under the tone's ~75 dB
		t.Errorf("the leading silence decodes at %.1f dB", d)
	}

}

// A file cut anywhere by a crash is repaired into a playable MP3 holding
// the audio up to its last whole frame.
func TestRepairAfterCrash(t *testing.T) {
	needFFmpeg(t)
	in := tone(0, 4*rate, 440, 8000)
	dir := t.TempDir()
	path := filepath.Join(dir, "crash.mp3")
	encode(t, path, in, true)
	full := mustRead(t, path)
	for _, cut := range []int{len(full), len(full) - 1, len(full) - 100, len(full)/2 + 7} {
		p := filepath.Join(dir, "cut.mp3")
		if err := os.WriteFile(p, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := mp3.Repair(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Bytes%mp3.FrameBytes != 0 || info.Bytes > int64(cut) || int64(cut)-info.Bytes >= mp3.FrameBytes {
			t.Errorf("cut at %d: repaired to %d bytes", cut, info.Bytes)
		}
		if info.Tagged {
			t.Errorf("cut at %d: an unfinalized file has a tag", cut)
		}
		if st, _ := os.Stat(p); st.Size() != info.Bytes {
			t.Errorf("cut at %d: file is %d bytes, Repair says %d", cut, st.Size(), info.Bytes)
		}
		out := mp3test.DecodeFile(t, p)
		// The placeholder frame and the encoder delay come first.
		if want := int(info.Frames) * mp3.SamplesPerFrame; len(out) != want {
			t.Errorf("cut at %d: decoded %d samples, want %d frames × 576 = %d", cut, len(out), info.Frames, want)
		}
		body := out[2000 : len(out)-1000]
		if f := dominant(body, 300, 600); f < 438 || f > 442 {
			t.Errorf("cut at %d: dominant frequency %d Hz", cut, f)
		}
		if d := rmsDB(body) - rmsDB(in[2000:len(body)+2000]); math.Abs(d) > 1 {
			t.Errorf("cut at %d: level differs by %.2f dB", cut, d)
		}
		// Repair is idempotent.
		if again, err := mp3.Repair(p); err != nil || again != info {
			t.Errorf("second repair: %+v %v, want %+v", again, err, info)
		}
	}
}

func TestScanRejectsNonMP3(t *testing.T) {
	if _, err := mp3.Scan(strings.NewReader("RIFF\x00\x00\x00\x00WAVEfmt ")); err == nil {
		t.Fatal("a WAV file scanned as MP3")
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte{0xFF, 0xF3, 0x68, 0xC4})
	f.Add(append([]byte{0xFF, 0xF3, 0x68, 0xC4, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "Info\x00\x00\x00\x0f\x00\x00\x00\x02"...))
	f.Add([]byte{0xFF, 0xFB, 0x90, 0x64, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := mp3.Scan(bytes.NewReader(b))
		if err != nil {
			return
		}
		if info.Bytes > int64(len(b)) || info.Frames < 0 || info.Samples < 0 {
			t.Fatalf("scan of %d bytes: %+v", len(b), info)
		}
		if len(b) >= 4 {
			if h, err := mp3.ParseHeader(b); err == nil && (h.Size < 4 || h.SamplesPerFrame == 0) {
				t.Fatalf("header %+v", h)
			}
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
