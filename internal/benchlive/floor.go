package benchlive

import (
	"runtime"
	"time"

	"github.com/callrec/callrec/audio"
)

// packetsPerMinute is one participant-minute of 20 ms packets.
const packetsPerMinute = 3000

// decodeFloor measures the bare Opus decode of one participant-minute of
// the run's own packets, with the decoder the server uses (gopus straight
// to 16 kHz): CPU time per participant-minute, the least of runs runs, in
// this process while nothing else of the benchmark runs. Run measures it
// before the calls and again after them, and keeps the least.
func decodeFloor(sources []*clip, runs int) (time.Duration, error) {
	pcm := make([]int16, audio.MaxPacketSamples)
	var best time.Duration
	for range runs {
		runtime.GC()
		before := selfCPU()
		for _, c := range sources {
			dec, err := audio.NewOpusDecoder()
			if err != nil {
				return 0, err
			}
			for i := range packetsPerMinute {
				if _, err := dec.Decode(c.packet(i), pcm); err != nil {
					return 0, err
				}
			}
		}
		d := (selfCPU() - before) / time.Duration(len(sources))
		if best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}
