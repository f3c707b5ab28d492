package dtmf

import "testing"

// BenchmarkTracker feeds one key press (5 packets and 3 end packets) per op.
//
//	go test -run '^$' -bench . ./audio/dtmf
func BenchmarkTracker(b *testing.B) {
	packets := pressPackets(5, 8000, 800)
	presses := make([]Press, 0, 4)
	var tr Tracker
	b.ReportAllocs()
	ts := uint32(0)
	for b.Loop() {
		ts += 8000
		for _, p := range packets {
			presses, _ = tr.Packet(presses[:0], ts, p.payload)
		}
	}
	if len(presses) != 0 {
		b.Fatal("the last end packet reported a press again")
	}
}
