package benchlive

import (
	"testing"

	"github.com/pion/rtcp"
)

// TestDelayProbeReadsTWCC feeds the probe a TWCC report, as the server's
// Pion would send it, and checks the queueing delays it derives.
func TestDelayProbeReadsTWCC(t *testing.T) {
	d := newDelayProbe()
	// Packets 100–104 sent every 20 ms from t = 1 s (µs since the epoch).
	for i := range 5 {
		seq := uint16(100 + i)
		d.sent[seq%sentRing] = sentPacket{seq: seq, at: 1_000_000 + int64(i)*20_000, used: true}
	}
	d.setRecording(true)
	// The server's clock reads 64 ms × 10 at its reference; packet 100
	// arrived 5 ms later, 101 20 ms after that (no queueing), 102 was lost,
	// 103 arrived 50 ms after 101 (10 ms of queueing), 104 20 ms later.
	d.feedback(&rtcp.TransportLayerCC{
		BaseSequenceNumber: 100,
		PacketStatusCount:  5,
		ReferenceTime:      10,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.StatusVectorChunk{
			SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit,
			SymbolList: []uint16{
				rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta,
				rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketReceivedSmallDelta,
				rtcp.TypeTCCPacketReceivedSmallDelta,
				rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta, // padding beyond the count
			},
		}},
		RecvDeltas: []*rtcp.RecvDelta{
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 5000},
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 20000},
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 50000},
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 20000},
		},
	})
	got := d.queueing()
	want := []int64{0, 0, 10_000, 10_000}
	if len(got) != len(want) {
		t.Fatalf("queueing %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("queueing %v, want %v", got, want)
		}
	}
	d.setRecording(false)
	d.feedback(&rtcp.TransportLayerCC{BaseSequenceNumber: 100, PacketStatusCount: 1, ReferenceTime: 10,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 1}},
		RecvDeltas:   []*rtcp.RecvDelta{{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 1000}}})
	if n := len(d.queueing()); n != 4 {
		t.Fatalf("kept %d delays outside the window", n)
	}
}
