package sip

import (
	"bytes"
	"encoding/binary"
	"math"
	"os/exec"
	"strconv"
	"testing"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/resample"
)

// ffmpeg runs ffmpeg with in on stdin and returns its stdout.
func ffmpeg(t *testing.T, in []byte, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error"}, args...)...)
	cmd.Stdin = bytes.NewReader(in)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, errs.String())
	}
	return out.Bytes()
}

func s16le(x []int16) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, x)
	return b.Bytes()
}

func samples(b []byte) []int16 {
	x := make([]int16, len(b)/2)
	_ = binary.Read(bytes.NewReader(b), binary.LittleEndian, x)
	return x
}

// TestLegDecodesLikeFFmpeg is the acceptance check of a SIP leg's audio
// path against ffmpeg on the same packets: ffmpeg encodes a tone to PCMU,
// PCMA and G.722; the bytes go as 20 ms RTP packets through the leg's
// stream (reorder buffer, decoder, frames on the call clock), and ffmpeg
// decodes the same bytes (resampling G.711 to 16 kHz). G.711: the levels
// agree within 0.5 dB and nothing above 4 kHz (every 50 Hz from 4.5 to
// 7.95 kHz, the 5 kHz image of the 3 kHz tone among them) comes within
// 50 dB of the tone; G.722: the same samples as ffmpeg's decoder.
func TestLegDecodesLikeFFmpeg(t *testing.T) {
	for _, tc := range []struct {
		c      codec
		format string
		rate   int
		freq   float64
	}{{codecPCMU, "mulaw", 8000, 3000}, {codecPCMA, "alaw", 8000, 3000}, {codecG722, "g722", 16000, 1000}} {
		t.Run(tc.c.String(), func(t *testing.T) {
			tone := audio.Sine(tc.freq, 0.5, tc.rate, 2*tc.rate)
			raw := []string{"-f", "s16le", "-ar", strconv.Itoa(tc.rate), "-ac", "1", "-i", "pipe:0"}
			coded := ffmpeg(t, s16le(tone), append(raw, "-f", tc.format, "pipe:1")...)
			in := []string{"-f", tc.format, "-ar", strconv.Itoa(tc.rate), "-ac", "1", "-i", "pipe:0"}
			if tc.c == codecG722 { // ffmpeg's g722 demuxer takes no rate: it is 16 kHz
				in = []string{"-f", tc.format, "-i", "pipe:0"}
			}
			want := samples(ffmpeg(t, coded, append(in, "-ar", "16000", "-f", "s16le", "pipe:1")...))

			tl := &timeline{t: t}
			s := newStream(tl.emit, nil)
			pt := map[codec]uint8{codecPCMU: 0, codecPCMA: 8, codecG722: 9}[tc.c]
			s.use(mediaDesc{codec: tc.c, pt: pt, tePT: -1, cnPT: -1})
			var arrivals []arrival
			for k := 0; k*160 < len(coded); k++ {
				arrivals = append(arrivals, arrival{at: int64(k) * callrec.FrameSamples, pkt: &rtp.Packet{
					Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: uint16(k), Timestamp: uint32(k * 160), SSRC: 1},
					Payload: coded[k*160 : min((k+1)*160, len(coded))]}})
			}
			play(s, arrivals, int64(len(arrivals)+20)*callrec.FrameSamples)
			got := tl.samples
			if s.stats.Lost+s.stats.Late+s.stats.Concealed != 0 || len(got) < len(want) {
				t.Fatalf("stream: %+v, %d samples for ffmpeg's %d", s.stats, len(got), len(want))
			}
			got = got[:len(want)]
			if tc.c == codecG722 {
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("sample %d: %d, ffmpeg %d", i, got[i], want[i])
					}
				}
				return
			}
			got, want = got[resample.Delay+320:], want[320:len(want)-resample.Delay]
			level := audio.DBFS(audio.RMS(got)) - audio.DBFS(audio.RMS(want))
			tonePower := audio.TonePower(got, 16000, tc.freq)
			worst, worstAt := math.Inf(-1), 0.0
			for f := 4500.0; f < 8000; f += 50 {
				if db := 10 * math.Log10(audio.TonePower(got, 16000, f)/tonePower); db > worst {
					worst, worstAt = db, f
				}
			}
			t.Logf("level %+.3f dB from ffmpeg's; strongest above 4.5 kHz: %.1f dB at %v Hz", level, worst, worstAt)
			if math.Abs(level) > 0.5 || worst > -50 {
				t.Errorf("level %+.3f dB from ffmpeg's, %.1f dB at %v Hz relative to the tone", level, worst, worstAt)
			}
		})
	}
}
