package benchlive

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
)

// BenchmarkDecodeArrangements compares, side by side, the same Opus decode
// work arranged as the floor does it and as the server does it: bursts of
// 90 packets, from one decoder back to back (the floor) or from 30
// decoders × 3 packets (the server's participants, every 60 ms), with or
// without a 60 ms sleep between bursts (the server's worker between
// polls). Arrangements alternate, 6 rounds of 20 bursts each per op, on a
// locked thread, and each reports its median CPU per participant-minute
// and its ratio to the back-to-back floor:
//
//	go test -run - -bench DecodeArrangements -benchtime 1x ./internal/benchlive
func BenchmarkDecodeArrangements(b *testing.B) {
	var sources []*clip
	for k := range 3 {
		c, err := toneClip(toneFrequency(k), toneAmplitude(3))
		if err != nil {
			b.Fatal(err)
		}
		sources = append(sources, c)
	}
	decoders := func(n int) []*audio.OpusDecoder {
		out := make([]*audio.OpusDecoder, n)
		for i := range out {
			d, err := audio.NewOpusDecoder()
			if err != nil {
				b.Fatal(err)
			}
			out[i] = d
		}
		return out
	}
	type arrangement struct {
		name  string
		decs  []*audio.OpusDecoder
		sleep time.Duration
		next  int // next packet index
		cpu   []float64
	}
	arrs := []*arrangement{
		{name: "1x90", decs: decoders(1)},
		{name: "30x3", decs: decoders(30)},
		{name: "1x90-sleep60ms", decs: decoders(1), sleep: 60 * time.Millisecond},
		{name: "30x3-sleep60ms", decs: decoders(30), sleep: 60 * time.Millisecond},
	}
	const bursts, perBurst, rounds = 20, 90, 6
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pcm := make([]int16, audio.MaxPacketSamples)
	b.ResetTimer()
	for range b.N {
		for range rounds {
			for _, a := range arrs {
				per := perBurst / len(a.decs)
				var used time.Duration
				for range bursts {
					before := threadCPU()
					for d, dec := range a.decs {
						for j := range per {
							if _, err := dec.Decode(sources[d%len(sources)].packet(a.next+j), pcm); err != nil {
								b.Fatal(err)
							}
						}
					}
					used += threadCPU() - before
					a.next += per
					time.Sleep(a.sleep)
				}
				a.cpu = append(a.cpu, used.Seconds()*packetsPerMinute/(bursts*perBurst))
			}
		}
	}
	median := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
	floor := median(arrs[0].cpu)
	for _, a := range arrs {
		m := median(a.cpu)
		b.ReportMetric(m, "s/participant-min:"+a.name)
		b.ReportMetric(m/floor, "x-floor:"+a.name)
	}
}
