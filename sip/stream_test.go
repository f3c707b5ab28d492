package sip

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/dtmf"
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/audio/g722"
)

// encodeTone returns 20 ms payloads of a tone at amp in codec c.
func encodeTone(c codec, freq, amp float64, packets int) [][]byte {
	var out [][]byte
	switch c {
	case codecG722:
		pcm := audio.Sine(freq, amp, 16000, packets*320)
		enc := g722.NewEncoder()
		for i := range packets {
			b := make([]byte, 160)
			enc.Encode(b, pcm[i*320:(i+1)*320])
			out = append(out, b)
		}
	default:
		law := g711.PCMU
		if c == codecPCMA {
			law = g711.PCMA
		}
		pcm := audio.Sine(freq, amp, 8000, packets*160)
		for i := range packets {
			b := make([]byte, 160)
			law.Encode(b, pcm[i*160:(i+1)*160])
			out = append(out, b)
		}
	}
	return out
}

type arrival struct {
	pkt *rtp.Packet
	at  int64 // call-clock position
}

// timeline collects a stream's frames, checking they are contiguous.
type timeline struct {
	t       *testing.T
	start   int64
	samples []int16
}

func (tl *timeline) emit(pos int64, s []int16) {
	if tl.samples == nil {
		tl.start = pos
	} else if want := tl.start + int64(len(tl.samples)); pos != want {
		tl.t.Fatalf("frame at %d, want %d (contiguous)", pos, want)
	}
	tl.samples = append(tl.samples, s...)
}

// play drives s with the arrivals (in any order: they are sorted by
// arrival), ticking every 20 ms of call clock until end.
func play(s *stream, arrivals []arrival, end int64) {
	slices.SortStableFunc(arrivals, func(a, b arrival) int { return int(a.at - b.at) })
	i := 0
	for now := int64(0); now <= end; now += callrec.FrameSamples {
		for ; i < len(arrivals) && arrivals[i].at <= now; i++ {
			s.push(arrivals[i].pkt, arrivals[i].at)
		}
		s.tick(now)
	}
	s.finish(end)
}

func TestStreamPlacesToneOnTheCallClockThroughJitterReorderAndLoss(t *testing.T) {
	for _, c := range []codec{codecPCMU, codecPCMA, codecG722} {
		t.Run(c.String(), func(t *testing.T) {
			const packets = 150 // 3 s
			const base = 16000  // the first packet arrives 1 s into the call
			payloads := encodeTone(c, 440, 0.5, packets)
			rng := rand.New(rand.NewPCG(1, 2))
			var arr []arrival
			var presses []dtmf.Press
			ts0 := uint32(4294960000) // wraps
			for i, p := range payloads {
				seq := uint16(65500 + i) // wraps
				ts := ts0 + uint32(i)*160
				if i == 100 || i == 101 {
					continue // lost
				}
				pt := map[codec]uint8{codecPCMU: 0, codecPCMA: 8, codecG722: 9}[c]
				payload := p
				if i >= 50 && i < 55 {
					// A key press instead of audio: 100 ms of telephone-event.
					pt = 101
					ev := dtmf.Event{Code: 5, Volume: 10, Duration: uint16((i - 49) * 160), End: i == 54}
					payload = ev.Append(nil)
					ts = ts0 + 50*160
				}
				jitter := int64(0)
				if i > 0 {
					jitter = int64(rng.IntN(30 * 16)) // up to 30 ms
				}
				if i%17 == 3 {
					jitter += 50 * 16 // reordered behind later packets
				}
				arr = append(arr, arrival{&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq,
					Timestamp: ts, SSRC: 42}, Payload: payload}, base + int64(i)*callrec.FrameSamples + jitter})
			}
			tl := &timeline{t: t}
			s := newStream(tl.emit, func(p dtmf.Press) { presses = append(presses, p) })
			s.use(mediaDesc{codec: c, pt: map[codec]uint8{codecPCMU: 0, codecPCMA: 8, codecG722: 9}[c], tePT: 101, cnPT: 13})
			play(s, arr, base+packets*callrec.FrameSamples+callrec.SampleRate)

			if tl.start != base {
				t.Errorf("first frame at %d, want %d (the first packet's arrival)", tl.start, base)
			}
			if s.stats.Lost != 2 || s.stats.Concealed != 2 || s.stats.Late != 0 {
				t.Errorf("stats %+v: want 2 lost, 2 concealed, none late", s.stats)
			}
			if len(presses) != 1 || presses[0].Code != 5 {
				t.Errorf("key presses %+v, want one 5", presses)
			}
			x := tl.samples
			sec := func(from, to float64) []int16 { return x[int(from*16000):int(to*16000)] }
			for _, span := range [][2]float64{{0.1, 0.9}, {1.2, 1.9}, {2.1, 2.9}} {
				seg := sec(span[0], span[1])
				f, ratio := audio.DetectTone(seg, 16000, []float64{440, 880, 1320, 220})
				level := audio.DBFS(audio.RMS(seg))
				want := audio.DBFS(0.5 / math.Sqrt2)
				if f != 440 || ratio < 100 || math.Abs(level-want) > 0.5 {
					t.Errorf("%v s: tone %v Hz (ratio %.0f), level %.2f dBFS, want 440 Hz at %.2f", span, f, ratio, level, want)
				}
			}
			// The key press (packets 50–54, 1.00–1.10 s) is silence, not noise.
			if rms := audio.RMS(sec(1.005, 1.095)); rms > 1e-3 {
				t.Errorf("the key press was recorded as sound (RMS %.4f)", rms)
			}
			// The tone starts at the first sample: the codec's own delay aside.
			if i := audio.FirstAbove(x, 0.1); i < 0 || i > 40 {
				t.Errorf("tone starts %d samples in", i)
			}
		})
	}
}

func TestStreamComfortNoiseFillsThePause(t *testing.T) {
	payloads := encodeTone(codecPCMU, 440, 0.5, 100)
	var arr []arrival
	for i, p := range payloads {
		pt := uint8(0)
		if i == 50 {
			pt, p = 13, []byte{40} // -40 dBov, then nothing until packet 80
		} else if i > 50 && i < 80 {
			continue
		}
		arr = append(arr, arrival{&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seqOf(i),
			Timestamp: uint32(i * 160), SSRC: 7}, Payload: p}, int64(i) * callrec.FrameSamples})
	}
	tl := &timeline{t: t}
	s := newStream(tl.emit, nil)
	s.use(mediaDesc{codec: codecPCMU, pt: 0, tePT: -1, cnPT: 13})
	play(s, arr, 100*callrec.FrameSamples+callrec.SampleRate)
	pause := tl.samples[51*320 : 79*320]
	// 0 dBov is a full-scale sine, whose RMS is 3.01 dB below full scale.
	want := -40 + audio.DBFS(1/math.Sqrt2)
	if level := audio.DBFS(audio.RMS(pause)); math.Abs(level-want) > 0.5 {
		t.Errorf("comfort noise at %.2f dBFS, want %.2f (-40 dBov)", level, want)
	}
	if s.stats.Lost != 0 {
		t.Errorf("%d lost in a DTX pause", s.stats.Lost)
	}
	if f, _ := audio.DetectTone(tl.samples[81*320:99*320], 16000, []float64{440, 880}); f != 440 {
		t.Errorf("after the pause: %v Hz", f)
	}
}

// seqOf numbers the packets the comfort-noise test sends: none are lost.
func seqOf(i int) uint16 {
	if i >= 80 {
		return uint16(i - 29)
	}
	return uint16(i)
}

// TestStreamCodecChangeDecodesEachPacketAsItsOwn: the answer switches
// from PCMU to PCMA while PCMU packets are still in the reorder buffer;
// each is decoded with its own codec, and the tone runs on unbroken.
func TestStreamCodecChangeDecodesEachPacketAsItsOwn(t *testing.T) {
	pcmu, pcma := encodeTone(codecPCMU, 440, 0.5, 100), encodeTone(codecPCMA, 440, 0.5, 100)
	tl := &timeline{t: t}
	s := newStream(tl.emit, nil)
	s.use(mediaDesc{codec: codecPCMU, pt: 0, tePT: -1, cnPT: -1})
	for i := range 100 {
		pt, p := uint8(0), pcmu[i]
		if i >= 50 {
			pt, p = 8, pcma[i]
		}
		now := int64(i) * callrec.FrameSamples
		if i == 50 {
			s.use(mediaDesc{codec: codecPCMA, pt: 8, tePT: -1, cnPT: -1}) // packets 45–49 wait behind the lost 44
		}
		if i == 44 {
			continue
		}
		s.push(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: uint16(i), Timestamp: uint32(i * 160), SSRC: 1},
			Payload: p}, now)
		s.tick(now)
	}
	s.finish(100 * callrec.FrameSamples)
	want := audio.Sine(440, 0.5, 16000, len(tl.samples))
	// Against the tone itself (the resampler's delay aside): G.711's SNR.
	d := 31 // resample.Delay
	got := tl.samples[d:]
	// The concealed packet 44 (and the blend after it) aside.
	for _, span := range [][2]int{{0, 44 * 320}, {46 * 320, len(got)}} {
		snr := audio.SNR(want[span[0]:span[1]], got[span[0]:span[1]])
		t.Logf("samples %v: SNR %.1f dB", span, snr)
		if snr < 30 {
			t.Errorf("samples %v: SNR %.1f dB across the codec change, want G.711's ~37", span, snr)
		}
	}
	if s.stats.Foreign != 0 {
		t.Errorf("%d packets refused", s.stats.Foreign)
	}
}

// TestStreamFollowsClockDrift: a phone whose clock runs 0.2 % fast or slow
// (far more than real hardware, to see it in 30 s) sends 20 ms packets
// every 19.96 ms (or 20.04 ms). The mapping follows its drift, as a WebRTC
// participant's does: frames stay contiguous and keep up with arrivals
// instead of drifting away from them, and the tone stays clean.
func TestStreamFollowsClockDrift(t *testing.T) {
	for _, ppm := range []float64{-2000, 2000} {
		const n = 1500 // 30 s
		payloads := encodeTone(codecPCMU, 440, 0.5, n)
		var arrivals []arrival
		for i, p := range payloads {
			arrivals = append(arrivals, arrival{at: int64(math.Round(float64(i*callrec.FrameSamples) * (1 - ppm/1e6))),
				pkt: &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i * 160), SSRC: 9}, Payload: p}})
		}
		tl := &timeline{t: t}
		s := newStream(tl.emit, nil)
		s.use(mediaDesc{codec: codecPCMU, pt: 0, tePT: -1, cnPT: -1})
		lastArrival := arrivals[n-1].at
		play(s, arrivals, lastArrival+reorderWindow+2*callrec.FrameSamples)
		// Where the last packet's audio ends, versus when it arrived.
		toneEnd := tl.start + int64(len(tl.samples)-audio.FirstAbove(reversed(tl.samples), 0.1))
		lag := toneEnd - (lastArrival + callrec.FrameSamples)
		want := -ppm / 1e6 * 30 * callrec.SampleRate
		t.Logf("%+.0f ppm: drift corrected by %d samples (%.1f ms) over 30 s, want about %.0f; audio ends %d samples from its arrival",
			ppm, s.stats.Drift, float64(s.stats.Drift)/16, want, lag)
		if s.stats.Lost != 0 || s.stats.Late != 0 || s.stats.Concealed != 0 {
			t.Errorf("%+.0f ppm: stats %+v", ppm, s.stats)
		}
		// Corrections lag by up to three 2 s windows (192 samples).
		if math.Abs(float64(s.stats.Drift)-want) > 250 {
			t.Errorf("%+.0f ppm: corrected %d samples, want about %.0f", ppm, s.stats.Drift, want)
		}
		if lag < -250 || lag > 250 {
			t.Errorf("%+.0f ppm: audio ends %d samples from its arrival", ppm, lag)
		}
		seg := tl.samples[1600 : len(tl.samples)-3200]
		f, ratio := audio.DetectTone(seg, 16000, []float64{440, 880, 220, 1000})
		if level := audio.DBFS(audio.RMS(seg)); f != 440 || ratio < 100 || math.Abs(level-audio.DBFS(0.5/math.Sqrt2)) > 0.5 {
			t.Errorf("%+.0f ppm: %v Hz (×%.0f), %.2f dBFS", ppm, f, ratio, level)
		}
	}
}

func reversed(x []int16) []int16 {
	r := slices.Clone(x)
	slices.Reverse(r)
	return r
}
