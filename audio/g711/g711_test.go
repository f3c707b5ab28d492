package g711

import (
	"math"
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/internal/ffmpegtest"
)

// ffmpegFormat is ffmpeg's raw format (and codec) name for each law.
var ffmpegFormat = map[Law][2]string{
	PCMU: {"mulaw", "pcm_mulaw"},
	PCMA: {"alaw", "pcm_alaw"},
}

// ffmpegDecode decodes G.711 bytes with ffmpeg.
func ffmpegDecode(t *testing.T, l Law, b []byte) []int16 {
	return ffmpegtest.Samples(ffmpegtest.Run(t, b,
		"-f", ffmpegFormat[l][0], "-ar", "8000", "-ac", "1", "-i", "pipe:0", "-f", "s16le", "pipe:1"))
}

// ffmpegEncode encodes 8 kHz samples to G.711 with ffmpeg.
func ffmpegEncode(t *testing.T, l Law, x []int16) []byte {
	return ffmpegtest.Run(t, ffmpegtest.S16LE(x),
		"-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "pipe:0",
		"-c:a", ffmpegFormat[l][1], "-f", ffmpegFormat[l][0], "pipe:1")
}

func decode(l Law, b []byte) []int16 {
	out := make([]int16, len(b))
	l.Decode(out, b)
	return out
}

func encode(l Law, x []int16) []byte {
	out := make([]byte, len(x))
	l.Encode(out, x)
	return out
}

// TestDecodeEveryCodeLikeFFmpeg decodes all 256 codes of each law and
// requires ffmpeg's sample values exactly.
func TestDecodeEveryCodeLikeFFmpeg(t *testing.T) {
	codes := make([]byte, 256)
	for i := range codes {
		codes[i] = byte(i)
	}
	for _, l := range []Law{PCMU, PCMA} {
		t.Run(l.String(), func(t *testing.T) {
			want := ffmpegDecode(t, l, codes)
			got := decode(l, codes)
			if len(want) != 256 {
				t.Fatalf("ffmpeg decoded %d samples, want 256", len(want))
			}
			for c := range 256 {
				if got[c] != want[c] {
					t.Errorf("code %#02x: %d, ffmpeg %d", c, got[c], want[c])
				}
			}
		})
	}
}

// TestFFmpegEncodedToneDecodes has ffmpeg encode a 997 Hz tone at -6 dBFS
// and requires our decode of its bytes to be ffmpeg's decode, sample for
// sample, and to carry the tone at its level, with
// G.711's signal-to-noise ratio (about 38 dB for a loud sine).
func TestFFmpegEncodedToneDecodes(t *testing.T) {
	tone := audio.Sine(997, 0.5, 8000, 8000)
	for _, l := range []Law{PCMU, PCMA} {
		t.Run(l.String(), func(t *testing.T) {
			coded := ffmpegEncode(t, l, tone)
			got := decode(l, coded)
			if len(got) != len(tone) {
				t.Fatalf("%d samples, want %d", len(got), len(tone))
			}
			for i, v := range ffmpegDecode(t, l, coded) {
				if got[i] != v {
					t.Fatalf("sample %d: %d, ffmpeg's decode %d", i, got[i], v)
				}
			}
			checkTone(t, tone, got)
		})
	}
}

// TestOurEncodingDecodesInFFmpeg encodes the tone ourselves and has ffmpeg
// decode it.
func TestOurEncodingDecodesInFFmpeg(t *testing.T) {
	tone := audio.Sine(997, 0.5, 8000, 8000)
	for _, l := range []Law{PCMU, PCMA} {
		t.Run(l.String(), func(t *testing.T) {
			got := ffmpegDecode(t, l, encode(l, tone))
			if len(got) != len(tone) {
				t.Fatalf("%d samples, want %d", len(got), len(tone))
			}
			checkTone(t, tone, got)
		})
	}
}

func checkTone(t *testing.T, want, got []int16) {
	t.Helper()
	if f, ratio := audio.DetectTone(got, 8000, []float64{500, 997, 1500, 2500, 3500}); f != 997 || ratio < 1000 {
		t.Errorf("strongest tone %v Hz (%.0fx the next), want 997 Hz", f, ratio)
	}
	if d := audio.DBFS(audio.RMS(got)) - audio.DBFS(audio.RMS(want)); math.Abs(d) > 0.1 {
		t.Errorf("level differs by %.2f dB", d)
	}
	snr := audio.SNR(want, got)
	if snr < 35 {
		t.Errorf("SNR %.1f dB, want at least 35", snr)
	}
	t.Logf("SNR %.1f dB", snr)
}

// TestEncodeEverySampleAgainstFFmpeg encodes all 65536 sample values with
// both. Where they differ the codes must be neighbours. They differ in two
// places, both by design: G.711 puts the decision level between two
// segments at the segment edge, ffmpeg at the midpoint between the two
// reconstruction values; and for negative samples we quantise the magnitude
// symmetrically (G.711's ones' complement) while ffmpeg indexes its table by
// the sample rounded toward minus infinity. The test reports how many.
func TestEncodeEverySampleAgainstFFmpeg(t *testing.T) {
	all := make([]int16, 1<<16)
	for i := range all {
		all[i] = int16(i - 1<<15)
	}
	for _, l := range []Law{PCMU, PCMA} {
		t.Run(l.String(), func(t *testing.T) {
			want := ffmpegEncode(t, l, all)
			got := encode(l, all)
			var pos, neg int
			for i, x := range all {
				if got[i] == want[i] {
					continue
				}
				if x < 0 {
					neg++
				} else {
					pos++
				}
				a, b := l.decodeOne(got[i]), l.decodeOne(want[i])
				if !neighbours(l, a, b) {
					t.Fatalf("sample %d: code %#02x (%d), ffmpeg %#02x (%d): not neighbours", x, got[i], a, want[i], b)
				}
			}
			t.Logf("%s: %d positive and %d negative sample values of 65536 encode to a neighbour of ffmpeg's code", l, pos, neg)
			if pos+neg > 1<<16/32 {
				t.Errorf("%d differences, more than expected", pos+neg)
			}
		})
	}
}

func (l Law) decodeOne(c byte) int16 {
	var x [1]int16
	l.Decode(x[:], []byte{c})
	return x[0]
}

// neighbours reports whether no reconstruction value of l lies strictly
// between a and b.
func neighbours(l Law, a, b int16) bool {
	lo, hi := min(a, b), max(a, b)
	for c := range 256 {
		if v := l.decodeOne(byte(c)); v > lo && v < hi {
			return false
		}
	}
	return true
}

// TestEveryCodeSurvivesReencoding requires Encode(Decode(c)) == c for every
// code but the negative zero (which encodes as positive zero).
func TestEveryCodeSurvivesReencoding(t *testing.T) {
	for _, l := range []Law{PCMU, PCMA} {
		for c := range 256 {
			v := l.decodeOne(byte(c))
			got := encode(l, []int16{v})[0]
			if got != byte(c) && !(v == 0 && l == PCMU) {
				t.Errorf("%s code %#02x → %d → %#02x", l, c, v, got)
			}
		}
	}
}

func TestLawString(t *testing.T) {
	for l, want := range map[Law]string{PCMU: "PCMU", PCMA: "PCMA", 9: "Law(9)"} {
		if l.String() != want {
			t.Errorf("%d: %q, want %q", l, l.String(), want)
		}
	}
	if n := Law(9).Decode(make([]int16, 4), make([]byte, 4)); n != 0 {
		t.Errorf("unknown law decoded %d samples", n)
	}
	if n := Law(9).Encode(make([]byte, 4), make([]int16, 4)); n != 0 {
		t.Errorf("unknown law encoded %d samples", n)
	}
	if n := PCMU.Decode(make([]int16, 3), make([]byte, 5)); n != 3 {
		t.Errorf("decoded %d samples into 3", n)
	}
}
