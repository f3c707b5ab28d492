package rtcrecv

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
)

type countingHandler struct{ n int }

func (h *countingHandler) OnRTP(*rtp.Packet, time.Time) { h.n++ }
func (h *countingHandler) OnTick(time.Time)             {}
func (h *countingHandler) OnClose(error)                {}

// BenchmarkReceiveSRTP is the per-packet receive path on a real socket:
// one SRTP datagram sent over loopback, drained with recvmmsg, its kernel
// timestamp read, demultiplexed, decrypted in place, parsed, its TWCC
// sequence recorded and handed to the handler. allocs/op is per packet.
//
//	go test -run - -bench ReceiveSRTP -benchmem ./ingest/rtcrecv
func BenchmarkReceiveSRTP(b *testing.B) {
	sender, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	w, s, p, out := connectedPeer(b, sender.LocalAddr().(*net.UDPAddr).AddrPort())
	h := &countingHandler{}
	p.handler = h

	payload := make([]byte, 120)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SSRC: 42}, Payload: payload}
	if err := pkt.SetExtension(3, []byte{0, 0}); err != nil {
		b.Fatal(err)
	}
	datagrams := make([][]byte, b.N)
	for i := range datagrams {
		pkt.SequenceNumber, pkt.Timestamp = uint16(i), uint32(i)*960
		_ = pkt.SetExtension(3, []byte{byte(i >> 8), byte(i)})
		raw, _ := pkt.Marshal()
		datagrams[i], _ = out.EncryptRTP(nil, raw, nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := sender.WriteToUDPAddrPort(datagrams[i], s.local); err != nil {
			b.Fatal(err)
		}
		if i%32 == 31 {
			if err := s.drain(w.reader, time.Now(), w.handle); err != nil {
				b.Fatal(err)
			}
		}
	}
	_ = s.drain(w.reader, time.Now(), w.handle)
	b.StopTimer()
	if h.n < b.N*9/10 {
		b.Fatalf("%d of %d packets reached the handler", h.n, b.N)
	}
}
