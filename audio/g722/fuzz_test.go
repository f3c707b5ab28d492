package g722

import "testing"

// FuzzDecoder decodes arbitrary bytes in packets of arbitrary sizes (every
// byte is a valid G.722 code, so this hunts for panics and overflows): it
// must write exactly two samples per byte and never panic, and a fresh
// decoder must agree with one fed the same bytes in other packet sizes.
//
//	go test -run '^$' -fuzz FuzzDecoder -fuzztime 60s ./audio/g722
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0x00, 0xff, 0x3f, 0xc0}, uint8(1))
	f.Add(encodeFrames(signals()["1000+6000Hz"][:640]), uint8(160))
	f.Add(make([]byte, 400), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, packet uint8) {
		size := max(int(packet), 1)
		whole := make([]int16, 2*len(data))
		if n := NewDecoder().Decode(whole, data); n != len(whole) {
			t.Fatalf("decoded %d samples from %d bytes", n, len(data))
		}
		d := NewDecoder()
		pcm := make([]int16, 2*size)
		for i := 0; i < len(data); i += size {
			chunk := data[i:min(i+size, len(data))]
			n := d.Decode(pcm, chunk)
			for j := range n {
				if pcm[j] != whole[2*i+j] {
					t.Fatalf("sample %d: %d in packets of %d, %d whole", 2*i+j, pcm[j], size, whole[2*i+j])
				}
			}
		}
	})
}
