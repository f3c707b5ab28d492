package siprec_test

import (
	"encoding/binary"
	"os"
	"testing"

	"github.com/pion/rtp"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
)

// pcapStream is one RTP stream of a capture: a tone (0: silence).
type pcapStream struct {
	freq, amp float64
	ssrc      uint32
	// first is the index of the stream's first packet: a capture that
	// goes on with an earlier one's stream numbers its packets after
	// it, timestamps included.
	first int
}

// writePCAP writes a capture (Ethernet/IPv4/UDP, classic pcap) of
// streams as PCMA RTP, 20 ms packets for ms milliseconds, stream i sent to
// port 6000+2i and interleaved packet by packet, stream 0 first: sipp's
// play_pcap_audio replays each packet to the answered port plus its
// port's offset from the first packet's.
func writePCAP(t *testing.T, path string, ms int, streams ...pcapStream) {
	t.Helper()
	var b []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1) // Ethernet
	b = append(b, hdr...)
	pcm := make([][]int16, len(streams))
	for i, s := range streams {
		pcm[i] = audio.Sine(s.freq, s.amp, 8000, ms*8)
	}
	payload := make([]byte, 160)
	for k := range ms / 20 {
		for i, s := range streams {
			g711.PCMA.Encode(payload, pcm[i][k*160:(k+1)*160])
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: uint16(100 + s.first + k),
				Timestamp: uint32(1000 + 160*(s.first+k)), SSRC: s.ssrc, Marker: k == 0}, Payload: payload}
			raw, err := pkt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			b = appendFrame(b, k*20000, 6000+2*i, raw)
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendFrame appends one captured UDP datagram from 127.0.0.1:5000 to
// 127.0.0.1:port at usec microseconds.
func appendFrame(b []byte, usec, port int, data []byte) []byte {
	n := 14 + 20 + 8 + len(data)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[0:], uint32(1700000000+usec/1000000))
	binary.LittleEndian.PutUint32(rec[4:], uint32(usec%1000000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(n))
	binary.LittleEndian.PutUint32(rec[12:], uint32(n))
	b = append(b, rec...)
	eth := make([]byte, 14)
	eth[12], eth[13] = 0x08, 0x00
	b = append(b, eth...)
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(data)))
	ip[8], ip[9] = 64, 17
	copy(ip[12:], []byte{127, 0, 0, 1})
	copy(ip[16:], []byte{127, 0, 0, 1})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	b = append(b, ip...)
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[0:], 5000)
	binary.BigEndian.PutUint16(udp[2:], uint16(port))
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(data)))
	b = append(b, udp...)
	return append(b, data...)
}
