package dtmf

import (
	"encoding/binary"
	"testing"
)

// FuzzTracker feeds arbitrary packets (each a 1-byte length, a 4-byte
// timestamp and that many payload bytes) to a Tracker: it must never
// panic, must report no press twice, and Parse must agree with Append.
//
//	go test -run '^$' -fuzz FuzzTracker -fuzztime 60s ./audio/dtmf
func FuzzTracker(f *testing.F) {
	var seed []byte
	for _, p := range pressPackets(5, 8000, 480) {
		seed = append(seed, byte(len(p.payload)))
		seed = binary.BigEndian.AppendUint32(seed, p.timestamp)
		seed = append(seed, p.payload...)
	}
	f.Add(seed)
	f.Add([]byte{3, 0, 0, 0, 1, 9, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tr Tracker
		seen := map[uint32]bool{}
		var presses []Press
		for len(data) >= 5 {
			n := int(data[0])
			ts := binary.BigEndian.Uint32(data[1:5])
			data = data[5:]
			payload := data[:min(n, len(data))]
			data = data[len(payload):]
			if e, err := Parse(payload); err == nil {
				again, _ := Parse(e.Append(nil))
				if again != e {
					t.Fatalf("%+v came back as %+v", e, again)
				}
			}
			presses, _ = tr.Packet(presses[:0], ts, payload)
			for _, p := range presses {
				if seen[p.Start] && len(seen) < 8 {
					t.Fatalf("press at %d reported twice", p.Start)
				}
				seen[p.Start] = true
			}
		}
		tr.Flush(nil)
	})
}
