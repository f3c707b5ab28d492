package audio

import "testing"

// FuzzOpusDecoder decodes arbitrary bytes as Opus packets (alternating with
// concealment); it must never panic nor write more samples than a packet
// can hold.
//
//	go test -run '^$' -fuzz FuzzOpusDecoder -fuzztime 60s -fuzzminimizetime 50x ./audio
func FuzzOpusDecoder(f *testing.F) {
	for _, p := range encodeTestSignal(f)[:5] {
		f.Add(p)
	}
	f.Add([]byte{0xfc, 0xff, 0xfe})
	f.Add([]byte{0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, MaxPacketSamples)
		for range 3 {
			n, err := dec.Decode(data, pcm)
			if err == nil && (n < 0 || n > MaxPacketSamples) {
				t.Fatalf("decoded %d samples", n)
			}
			if n, err := dec.Conceal(pcm[:320]); err == nil && n != 320 {
				t.Fatalf("concealed %d samples, want 320", n)
			}
		}
	})
}
