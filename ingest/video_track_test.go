package ingest

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

// h264AccessUnit returns an Annex-B access unit: SPS, PPS and an IDR slice
// for a keyframe, a non-IDR slice otherwise, each slice big enough to be
// fragmented (FU-A) by the payloader.
func h264AccessUnit(n int, key bool) []byte {
	var b bytes.Buffer
	nal := func(header byte, size int) {
		b.Write([]byte{0, 0, 0, 1, header})
		for i := range size {
			b.WriteByte(byte(n + i))
		}
	}
	if key {
		nal(0x67, 10) // SPS
		nal(0x68, 4)  // PPS
		nal(0x65, 3000)
	} else {
		nal(0x41, 2500)
	}
	return b.Bytes()
}

// TestVideoTrackAssemblesH264 feeds a video track the packets pion's H.264
// payloader makes of four access units, with padding-only packets between
// them (Chromium's bandwidth probes) and one packet lost in the third: the
// first two come out whole, in Annex B, at their capture times; the third
// is dropped, and the fourth (a delta frame) waits for a keyframe, which
// the track asks for.
func TestVideoTrackAssemblesH264(t *testing.T) {
	var got []callrec.VideoFrame
	asked := 0
	v := newVideoTrack(rtcrecv.VideoH264, -1<<62, func(f callrec.VideoFrame) {
		f.Data = bytes.Clone(f.Data)
		got = append(got, f)
	}, func() { asked++ })
	p := rtp.NewPacketizer(1200, 102, 7, &codecs.H264Payloader{}, rtp.NewRandomSequencer(), 90000)
	var units [][]byte
	for i := range 10 {
		units = append(units, h264AccessUnit(i, i == 0 || i == 8))
	}
	seq := uint16(65530) // across the wrap
	arrival := int64(1000)
	for i, u := range units {
		pkts := p.Packetize(u, 6000) // 15 fps
		for j, pkt := range pkts {
			pkt.SequenceNumber = seq
			seq++
			if i == 2 && j == 1 {
				continue // lost
			}
			v.insert(pkt, arrival)
		}
		// Padding after each picture, on sequence numbers of its own.
		for range 3 {
			v.insert(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102, SSRC: 7, SequenceNumber: seq,
				Timestamp: pkts[0].Timestamp}}, arrival)
			seq++
		}
		arrival += callrec.SampleRate / 15
	}
	v.tick(arrival + videoSettle)
	// Pictures 0 and 1 whole; 2 lost; 3 to 7 depend on it; 8 is a
	// keyframe; 9 waits for the packet after it.
	want := []int{0, 1, 8}
	if len(got) != len(want) {
		t.Fatalf("%d pictures handed on, want %d", len(got), len(want))
	}
	for i, f := range got {
		u := want[i]
		if f.Codec != callrec.VideoH264 || f.Keyframe != (u == 0 || u == 8) {
			t.Errorf("picture %d: %s keyframe %v", u, f.Codec, f.Keyframe)
		}
		if !bytes.Equal(f.Data, units[u]) {
			t.Errorf("picture %d: %d bytes, not the access unit sent (%d bytes)", u, len(f.Data), len(units[u]))
		}
		// At its capture time, to within the rounding of 1/15 s to whole
		// samples in the arrivals (a sample a picture).
		if at := int64(1000 + u*callrec.SampleRate/15); f.Pos < at-10 || f.Pos > at+10 {
			t.Errorf("picture %d at %d, want %d", u, f.Pos, at)
		}
	}
	if asked == 0 || v.stats.Dropped == 0 || v.stats.Padding != 30 {
		t.Errorf("after a loss: %d keyframe requests, %+v; want requests, pictures dropped, 30 padding", asked, v.stats)
	}
}
