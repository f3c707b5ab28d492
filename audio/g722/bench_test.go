package g722

import (
	"testing"

	"github.com/callrec/callrec/audio"
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
	for b.Loop() {
		d.Decode(pcm, packet)
	}
}

// BenchmarkEncode encodes one 20 ms frame (320 samples → 160 bytes) per op.
func BenchmarkEncode(b *testing.B) {
	pcm := audio.Sine(1000, 0.5, 16000, 320)
	e := NewEncoder()
	packet := make([]byte, 160)
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		e.Encode(packet, pcm)
	}
}
