package sip

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
)

// TestStreamOpusOnTheCallClockWithFEC: Opus packets (48 kHz timestamps
// that wrap, jitter) play at the first packet's arrival for as long as
// sent; a lost packet before a received one is rebuilt from that one's
// in-band FEC, the first of two in a row by Opus concealment, and the
// tone stays at its level across the losses.
func TestStreamOpusOnTheCallClockWithFEC(t *testing.T) {
	const packets = 150 // 3 s
	const base = 16000  // the first packet arrives 1 s into the call
	const amp = 0.5
	enc, err := audio.NewOpusEncoder(48000, 32000)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.EnableFEC(20); err != nil {
		t.Fatal(err)
	}
	payloads, err := enc.EncodeAll(audio.Sine(440, amp, 48000, packets*960))
	if err != nil || len(payloads) != packets {
		t.Fatalf("%d packets, %v", len(payloads), err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var arr []arrival
	ts0 := uint32(4294967295 - 50*960 + 7) // wraps, not a multiple of 6
	for i, p := range payloads {
		if i == 60 || i == 100 || i == 101 {
			continue // lost
		}
		jitter := int64(0)
		if i > 0 {
			jitter = int64(rng.IntN(30 * 16))
		}
		arr = append(arr, arrival{&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i),
			Timestamp: ts0 + uint32(i)*960, SSRC: 9}, Payload: p}, base + int64(i)*callrec.FrameSamples + jitter})
	}
	tl := &timeline{t: t}
	s := newStream(tl.emit, nil)
	s.use(mediaDesc{codec: codecOpus, pt: 111, tePT: -1, cnPT: -1})
	play(s, arr, base+packets*callrec.FrameSamples+callrec.SampleRate)

	if tl.start != base {
		t.Errorf("first frame at %d, want %d (the first packet's arrival)", tl.start, base)
	}
	if s.stats.Lost != 3 || s.stats.Concealed != 3 || s.stats.Recovered != 2 || s.stats.Late != 0 || s.stats.Reanchors != 0 {
		t.Errorf("stats %+v: want 3 lost, 3 concealed of which 2 from FEC, none late", s.stats)
	}
	x := tl.samples
	first, last := audio.FirstAbove(x, 0.1), -1
	for i := len(x) - 1; i >= 0; i-- {
		if math.Abs(float64(x[i]))/32768 >= 0.1 {
			last = i
			break
		}
	}
	// Opus's decoder delay (a few ms) and the encoder's warm-up.
	if first > 20*16 || last < packets*callrec.FrameSamples-20*16 || last > packets*callrec.FrameSamples+20*16 {
		t.Errorf("tone at %d–%d, sent over 0–%d", first, last, packets*callrec.FrameSamples)
	}
	want := audio.DBFS(amp / math.Sqrt2)
	for _, span := range [][2]int{{20, 140}, {55, 66}, {95, 106}} { // in packets: all, around each loss
		seg := x[span[0]*callrec.FrameSamples : span[1]*callrec.FrameSamples]
		f, ratio := audio.DetectTone(seg, 16000, []float64{440, 880, 220, 1000})
		level := audio.DBFS(audio.RMS(seg))
		t.Logf("packets %d–%d: %v Hz ×%.0f, %.2f dBFS", span[0], span[1], f, ratio, level)
		if f != 440 || ratio < 30 || math.Abs(level-want) > 1.5 {
			t.Errorf("packets %d–%d: %v Hz (×%.0f over the next), %.2f dBFS; want 440 Hz at %.2f dBFS", span[0], span[1], f, ratio, level, want)
		}
	}
}
