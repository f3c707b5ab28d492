package benchlive

import (
	"context"
	"time"

	"github.com/pion/rtp"
)

const frameInterval = 20 * time.Millisecond

// pace sends the call's participants' packets until ctx is done: packet i
// of every participant is due at start + i×20 ms, whatever happened
// before, so the sender's own lateness never shifts the streams. It is the
// call's only sending goroutine and returns how late it ever was.
func pace(ctx context.Context, ps []*participant) (maxLate time.Duration) {
	start := time.Now()
	for _, p := range ps {
		p.first = start
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111}}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * frameInterval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return maxLate
			}
		} else if ctx.Err() != nil {
			return maxLate
		}
		maxLate = max(maxLate, time.Since(due))
		for _, p := range ps {
			pkt.Marker = i == 0
			pkt.SequenceNumber = p.seq0 + uint16(i)
			pkt.Timestamp = p.ts0 + uint32(i*frameSamples)
			pkt.Payload = p.clip.packet(i)
			if err := p.track.WriteRTP(&pkt); err != nil {
				p.sendErrs++
				continue
			}
			p.sent++
			p.last = due
		}
	}
}
