package benchlive

import (
	"context"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/audio/resample"
)

// packetsPerMinute is one participant-minute of 20 ms packets.
const packetsPerMinute = 3000

// The floor is bare Opus decode of the run's own packets, with the decoder
// the server uses (audio.OpusDecoder straight to 16 kHz), in CPU time per
// participant-minute; for phones, G.711 expansion and 8 → 16 kHz
// upsampling of their packets; for a mixed run, both, each participant
// its own. It is measured twice over:
//
//   - quiet: a participant-minute of each source, runs times, before the
//     calls and again after them, while nothing else of the benchmark runs;
//     the least run is the quiet floor (the machine at its quickest);
//   - in the window: a slice of each source's packets at even intervals
//     through the measurement window, while the server records; the median
//     slice is the window's floor (the machine as fast as it was while the
//     server's CPU was counted).
//
// On a virtual machine whose speed moves from second to second, the two
// differ; both are reported.

// decodeFloor returns the quiet floor's runs, sorted.
func decodeFloor(sources []*clip, runs int) ([]time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	out := make([]time.Duration, 0, runs)
	for range runs {
		runtime.GC()
		d, err := decodeSlice(sources, 0, packetsPerMinute)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

// decodeSlice decodes packets [from, from+n) of every source, each with a
// fresh decoder, and returns the calling thread's CPU time for it per
// participant-minute: Opus decode for a browser's source, G.711 expansion
// and upsampling for a phone's (decodePhone). In a mixed run, the
// sources are one call's participants, so the floor is the two kinds'
// costs weighted by their counts. The caller locks its OS thread.
func decodeSlice(sources []*clip, from, n int) (time.Duration, error) {
	decs := make([]*audio.OpusDecoder, len(sources))
	ups := make([]*resample.Upsampler, len(sources))
	for i, c := range sources {
		if c.pcmu {
			ups[i] = resample.NewUpsampler()
			continue
		}
		d, err := audio.NewOpusDecoder()
		if err != nil {
			return 0, err
		}
		decs[i] = d
	}
	pcm := make([]int16, audio.MaxPacketSamples)
	pcm8 := make([]int16, 160)
	before := threadCPU()
	for i, c := range sources {
		if c.pcmu {
			decodePhone(ups[i], c, from, n, pcm8, pcm)
			continue
		}
		for k := from; k < from+n; k++ {
			if _, err := decs[i].Decode(c.packet(k), pcm); err != nil {
				return 0, err
			}
		}
	}
	used := threadCPU() - before
	return used * packetsPerMinute / time.Duration(n*len(sources)), nil
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// windowFloorSlices is how many slices are decoded through the window, and
// windowSlicePackets their length per source (5 s of audio: a few tens of
// ms of CPU each, a few per cent of a core in all).
const (
	windowFloorSlices  = 20
	windowSlicePackets = 250
)

// windowFloor is the floor sampled through the measurement window.
type windowFloor struct {
	slices []time.Duration // per participant-minute, sorted
	cpu    time.Duration   // the sampling's own CPU (not the simulator's)
}

// sampleFloor decodes windowFloorSlices slices evenly through window on a
// thread of its own, until window ends or ctx is done, and sends what it
// measured on the returned channel.
func sampleFloor(ctx context.Context, sources []*clip, window time.Duration) <-chan windowFloor {
	out := make(chan windowFloor, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var wf windowFloor
		defer func() {
			slices.Sort(wf.slices)
			out <- wf
		}()
		every := window / windowFloorSlices
		start := time.Now()
		for i := range windowFloorSlices {
			// In the middle of each interval, away from the window's edges.
			due := start.Add(every/2 + time.Duration(i)*every)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(due)):
			}
			before := threadCPU()
			d, err := decodeSlice(sources, i*windowSlicePackets, windowSlicePackets)
			wf.cpu += threadCPU() - before
			if err != nil {
				return
			}
			wf.slices = append(wf.slices, d)
		}
	}()
	return out
}

// decodePhone is what the server does to each packet of a SIP leg:
// G.711 µ-law expanded and upsampled 8 → 16 kHz (audio/resample), for
// packets [from, from+n) of a phone's source; pcm16 holds at least 320
// samples.
func decodePhone(up *resample.Upsampler, c *clip, from, n int, pcm8, pcm16 []int16) {
	for k := from; k < from+n; k++ {
		m := g711.PCMU.Decode(pcm8, c.packet(k))
		up.Process(pcm16[:320], pcm8[:m])
	}
}
