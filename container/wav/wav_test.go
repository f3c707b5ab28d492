package wav_test

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callrec/callrec/container/wav"
	gowav "github.com/go-audio/wav"
)

// sine returns n samples of a tone at freq Hz and amplitude amp.
func sine(n int, freq float64, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/16000))
	}
	return out
}

func interleave(chans ...[]int16) []int16 {
	out := make([]int16, 0, len(chans)*len(chans[0]))
	for i := range chans[0] {
		for _, c := range chans {
			out = append(out, c[i])
		}
	}
	return out
}

func writeFile(t *testing.T, path string, f wav.Format, chans [][]int16, finalize bool) {
	t.Helper()
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	w, err := wav.NewWriter(file, f)
	if err != nil {
		t.Fatal(err)
	}
	all := interleave(chans...)
	// Write in uneven pieces, as frames arrive.
	for len(all) > 0 {
		k := min(len(all), 7*f.Channels)
		if err := w.Write(all[:k]); err != nil {
			t.Fatal(err)
		}
		all = all[k:]
	}
	if finalize {
		if err := w.Finalize(); err != nil {
			t.Fatal(err)
		}
	} else if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripChannels(t *testing.T) {
	for _, nc := range []int{1, 2, 3, 5} {
		f := wav.Format{SampleRate: 16000, Channels: nc}
		chans := make([][]int16, nc)
		for c := range chans {
			chans[c] = sine(1600, 300+float64(c)*200, 8000)
		}
		path := filepath.Join(t.TempDir(), "a.wav")
		writeFile(t, path, f, chans, true)

		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(raw), f.HeaderSize()+2*nc*1600; got != want {
			t.Fatalf("%d channels: file is %d bytes, want %d", nc, got, want)
		}
		a, err := wav.Read(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%d channels: %v", nc, err)
		}
		if a.Extensible != (nc > 2) {
			t.Errorf("%d channels: extensible=%v", nc, a.Extensible)
		}
		for c := range chans {
			if !equal(a.Channels[c], chans[c]) {
				t.Errorf("%d channels: channel %d differs after round trip", nc, c)
			}
		}
		// An independent decoder agrees.
		d := gowav.NewDecoder(bytes.NewReader(raw))
		buf, err := d.FullPCMBuffer()
		if err != nil {
			t.Fatalf("go-audio/wav: %v", err)
		}
		if int(d.NumChans) != nc || int(d.SampleRate) != 16000 || d.BitDepth != 16 {
			t.Fatalf("go-audio/wav sees %d ch %d Hz %d bit", d.NumChans, d.SampleRate, d.BitDepth)
		}
		want := interleave(chans...)
		for i, v := range buf.Data {
			if int16(v) != want[i] {
				t.Fatalf("go-audio/wav: sample %d = %d, want %d", i, v, want[i])
			}
		}
	}
}

func TestFFprobeAcceptsExtensible(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not installed")
	}
	path := filepath.Join(t.TempDir(), "five.wav")
	chans := make([][]int16, 5)
	for c := range chans {
		chans[c] = sine(16000, 400+100*float64(c), 5000)
	}
	writeFile(t, path, wav.Format{SampleRate: 16000, Channels: 5}, chans, true)
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=channels,sample_rate,codec_name,duration",
		"-of", "default=nw=1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	for _, want := range []string{"codec_name=pcm_s16le", "sample_rate=16000", "channels=5", "duration=1.000000"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ffprobe output lacks %q:\n%s", want, out)
		}
	}
}

func TestRepairAfterCrash(t *testing.T) {
	for _, nc := range []int{1, 5} {
		f := wav.Format{SampleRate: 16000, Channels: nc}
		chans := make([][]int16, nc)
		for c := range chans {
			chans[c] = sine(3200, 500, 9000)
		}
		path := filepath.Join(t.TempDir(), "crash.wav")
		writeFile(t, path, f, chans, false) // synced, never finalized
		// A torn write: one byte of a sample frame more.
		file, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		file.Write([]byte{1})
		file.Close()

		// Before repair the header still says zero samples.
		if a, err := wav.Read(mustOpen(t, path)); err != nil || a.Frames() != 0 {
			t.Fatalf("unfinalized file: %v frames, err %v", a.Frames(), err)
		}
		info, err := wav.Repair(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Frames() != 3200 {
			t.Fatalf("%d channels: repaired file has %d frames, want 3200", nc, info.Frames())
		}
		a, err := wav.Read(mustOpen(t, path))
		if err != nil {
			t.Fatal(err)
		}
		for c := range chans {
			if !equal(a.Channels[c], chans[c]) {
				t.Errorf("channel %d differs after repair", c)
			}
		}
		// Repair is idempotent.
		if info2, err := wav.Repair(path); err != nil || info2 != info {
			t.Fatalf("second repair: %+v %v, want %+v", info2, err, info)
		}
	}
}

func TestRejectsNonPCM(t *testing.T) {
	h := wav.Format{SampleRate: 16000, Channels: 1}.Header(0)
	h[20] = 3 // IEEE float
	if _, err := wav.ReadInfo(bytes.NewReader(h)); err == nil {
		t.Fatal("float WAV accepted")
	}
	if _, err := wav.ReadInfo(strings.NewReader("RIFF\x00\x00\x00\x00WAVEdata")); err == nil {
		t.Fatal("truncated file accepted")
	}
}

func FuzzReadInfo(f *testing.F) {
	f.Add(wav.Format{SampleRate: 16000, Channels: 1}.Header(4))
	f.Add(wav.Format{SampleRate: 16000, Channels: 5}.Header(20))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := wav.Read(bytes.NewReader(b))
		if err == nil && a.DataBytes > int64(len(b)) {
			t.Fatalf("declared %d data bytes in a %d-byte input", a.DataBytes, len(b))
		}
	})
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
