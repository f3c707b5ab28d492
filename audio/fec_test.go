package audio

import (
	"math"
	"testing"

	"github.com/thesyncim/gopus"
)

// TestRecoverUsesInBandFEC drops single packets of a FEC-enabled stream
// and compares the lost frame, recovered from the next packet's FEC data
// or concealed, with what decoding the real packet gives.
func TestRecoverUsesInBandFEC(t *testing.T) {
	enc, err := NewOpusEncoder(48000, 32000)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.EnableFEC(20); err != nil {
		t.Fatal(err)
	}
	packets, err := enc.EncodeAll(testSignal())
	if err != nil {
		t.Fatal(err)
	}
	ref := decodeAll(t, packets)
	var fecSNR, plcSNR float64
	var n int
	for k := 30; k < len(packets)-1; k += 7 {
		want := ref[k*320 : (k+1)*320]
		lost := func(fill func(d *OpusDecoder, pcm []int16) (int, bool, error)) []int16 {
			d, _ := NewOpusDecoder()
			pcm := make([]int16, MaxPacketSamples)
			for _, p := range packets[:k] {
				if _, err := d.Decode(p, pcm); err != nil {
					t.Fatal(err)
				}
			}
			out := make([]int16, 320)
			if m, _, err := fill(d, out); err != nil || m != 320 {
				t.Fatalf("fill: %d, %v", m, err)
			}
			return out
		}
		if !gopus.PacketHasLBRR(packets[k+1]) {
			continue // the encoder adds FEC data to active frames only
		}
		fec := lost(func(d *OpusDecoder, pcm []int16) (int, bool, error) { return d.Recover(packets[k+1], pcm) })
		plc := lost(func(d *OpusDecoder, pcm []int16) (int, bool, error) {
			n, err := d.Conceal(pcm)
			return n, false, err
		})
		fecSNR += SNR(want, fec)
		plcSNR += SNR(want, plc)
		n++
	}
	if n < 5 {
		t.Fatalf("only %d packets with FEC data", n)
	}
	fecSNR, plcSNR = fecSNR/float64(n), plcSNR/float64(n)
	t.Logf("lost frame vs the real decode, mean over %d losses: FEC %.1f dB SNR, concealment %.1f dB", n, fecSNR, plcSNR)
	if math.IsNaN(fecSNR) || fecSNR < plcSNR+3 {
		t.Fatalf("FEC recovery (%.1f dB) is not clearly better than concealment (%.1f dB)", fecSNR, plcSNR)
	}
}

func TestRecoverWithoutFECConceals(t *testing.T) {
	packets := encodeTestSignal(t) // no FEC
	d, _ := NewOpusDecoder()
	pcm := make([]int16, MaxPacketSamples)
	for _, p := range packets[:20] {
		if _, err := d.Decode(p, pcm); err != nil {
			t.Fatal(err)
		}
	}
	n, fromFEC, err := d.Recover(packets[21], pcm[:320])
	if err != nil || n != 320 || fromFEC {
		t.Fatalf("Recover without FEC data: n=%d fromFEC=%v err=%v", n, fromFEC, err)
	}
}
