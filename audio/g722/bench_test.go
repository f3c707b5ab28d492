package g722

import (
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/internal/ffmpegtest"
)

// BenchmarkDecode decodes one 20 ms packet (160 bytes → 320 samples) per op.
//
//	go test -run '^$' -bench . ./audio/g722
func BenchmarkDecode(b *testing.B) {
	packet := encodeFrames(audio.Sine(1000, 0.5, 16000, 320))
	d := NewDecoder()
	pcm := make([]int16, 320)
	b.ReportAllocs()
	b.SetBytes(160)
	ffmpegtest.LoopCPU(b, func() { d.Decode(pcm, packet) })
}

// BenchmarkEncode encodes one 20 ms frame (320 samples → 160 bytes) per op.
func BenchmarkEncode(b *testing.B) {
	pcm := audio.Sine(1000, 0.5, 16000, 320)
	e := NewEncoder()
	packet := make([]byte, 160)
	b.ReportAllocs()
	b.SetBytes(160)
	ffmpegtest.LoopCPU(b, func() { e.Encode(packet, pcm) })
}

// BenchmarkDecodeVsFFmpeg decodes the same 60 s G.722 stream (a tone and
// noise) with the Decoder, in 20 ms packets on a locked thread, and with
// ffmpeg (`ffmpeg -f g722 -stream_loop 9 -i in.raw -f s16le out.raw`, CPU
// per pass, least of 3 runs, less its start-up on 200 ms of the same
// stream), and reports the CPU time of each and their ratio.
//
//	go test -run '^$' -bench DecodeVsFFmpeg -benchtime 5x ./audio/g722
func BenchmarkDecodeVsFFmpeg(b *testing.B) {
	coded := encodeFrames(ffmpegtest.ToneAndNoise(16000, 60))
	pcm := make([]int16, 320)
	d := NewDecoder()
	ffmpegtest.CompareCPU(b, ffmpegtest.Job{
		Name: "60 s of G.722",
		Ours: func() {
			for i := 0; i < len(coded); i += 160 {
				d.Decode(pcm, coded[i:i+160])
			}
		},
		File:         coded,
		StartupBytes: 1600,
		InArgs:       []string{"-f", "g722"},
		OutArgs:      []string{"-f", "s16le"},
	})
}
