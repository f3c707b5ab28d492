package g711

import (
	"testing"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/internal/ffmpegtest"
)

// BenchmarkDecode decodes one 20 ms frame (160 bytes) per op.
//
//	go test -run '^$' -bench . ./audio/g711
func BenchmarkDecode(b *testing.B) {
	for _, l := range []Law{PCMU, PCMA} {
		b.Run(l.String(), func(b *testing.B) {
			frame := encode(l, audio.Sine(1000, 0.5, 8000, 160))
			pcm := make([]int16, 160)
			b.ReportAllocs()
			b.SetBytes(160)
			ffmpegtest.LoopCPU(b, func() { l.Decode(pcm, frame) })
		})
	}
}

// BenchmarkEncode encodes one 20 ms frame (160 samples) per op.
func BenchmarkEncode(b *testing.B) {
	for _, l := range []Law{PCMU, PCMA} {
		b.Run(l.String(), func(b *testing.B) {
			pcm := audio.Sine(1000, 0.5, 8000, 160)
			frame := make([]byte, 160)
			b.ReportAllocs()
			b.SetBytes(160)
			ffmpegtest.LoopCPU(b, func() { l.Encode(frame, pcm) })
		})
	}
}
