package ingest

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
)

// fuzzRecord encodes one packet for FuzzPipeline's input: arrival advance
// (in 1/8 of a 20 ms frame), length, RTP bytes.
func fuzzRecord(advance byte, pkt []byte) []byte {
	out := []byte{advance, 0, 0}
	binary.BigEndian.PutUint16(out[1:], uint16(len(pkt)))
	return append(out, pkt...)
}

// FuzzPipeline feeds arbitrary RTP packets (any header, any payload — real
// Opus, truncated or garbage) with arbitrary arrival times through the
// whole audio path: reorder, clock mapping, Opus decode, concealment,
// framer. It must never panic, and the frames it emits must always be
// 320 samples at contiguous positions.
//
//	go test -run '^$' -fuzz FuzzPipeline -fuzztime 60s -fuzzminimizetime 50x ./ingest
//
// (Minimising each new input for the default 60 s would stall the run.)
func FuzzPipeline(f *testing.F) {
	packets := tone440(f)
	var clean, shuffled []byte
	for i := range 60 {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(65500 + i),
			Timestamp: uint32(0xffffff00 + i*960), SSRC: 7}, Payload: packets[i]}
		b, _ := p.Marshal()
		clean = append(clean, fuzzRecord(8, b)...)
		if i%7 == 3 {
			p.SequenceNumber += 2
			p.Payload = p.Payload[:len(p.Payload)/2]
		}
		if i == 30 {
			p.SSRC = 9
		}
		b, _ = p.Marshal()
		shuffled = append(shuffled, fuzzRecord(byte(i*37%24), b)...)
	}
	f.Add(clean)
	f.Add(shuffled)
	f.Add(fuzzRecord(0, []byte{0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xfc, 0xff, 0xfe}))

	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := audio.NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		var last int64
		var frames int
		p := newPipeline(dec, defaultLatency, nil, func(pos int64, s []int16) {
			if len(s) != callrec.FrameSamples {
				t.Fatalf("frame of %d samples", len(s))
			}
			if frames > 0 && pos != last+callrec.FrameSamples {
				t.Fatalf("frame at %d after %d", pos, last)
			}
			last = pos
			frames++
		}, func(bool, int64) {})
		var now int64
		for len(data) >= 3 {
			advance := int64(data[0]) * callrec.FrameSamples / 8
			n := min(int(binary.BigEndian.Uint16(data[1:3])), len(data)-3)
			raw := data[3 : 3+n]
			data = data[3+n:]
			for target := now + advance; now < target; {
				now = min(now+callrec.FrameSamples, target)
				p.tick(now)
			}
			var pkt rtp.Packet
			if pkt.Unmarshal(raw) != nil {
				continue
			}
			p.push(&pkt, now)
		}
		p.finish(now)
	})
}
