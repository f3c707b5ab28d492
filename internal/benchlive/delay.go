package benchlive

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// sentRing is how many recent sends a probe remembers, by transport-wide
// sequence number: 20 s of packets, far longer than TWCC feedback takes.
const sentRing = 1024

// delayProbe measures, for one publisher, how long after sending each
// packet the server's media pipeline read it: the publisher notes each
// packet's transport-wide sequence number as it leaves, and hands the probe
// the server's TWCC feedback, which carries each packet's arrival time on
// the server's clock.
type delayProbe struct {
	epoch time.Time

	mu        sync.Mutex
	sent      [sentRing]sentPacket
	recording bool
	delays    []int64 // one-way delay, µs, offset by the unknown clock difference
	minDelay  int64
	haveMin   bool
}

type sentPacket struct {
	seq  uint16
	at   int64 // µs since epoch
	used bool
}

func newDelayProbe() *delayProbe { return &delayProbe{epoch: time.Now()} }

// noteSent records that the packet of transport-wide sequence number seq
// leaves now.
func (d *delayProbe) noteSent(seq uint16) {
	at := time.Since(d.epoch).Microseconds()
	d.mu.Lock()
	d.sent[seq%sentRing] = sentPacket{seq: seq, at: at, used: true}
	d.mu.Unlock()
}

// setRecording starts or stops keeping delays (the measurement window).
// The least delay is tracked all along, so that the window's delays are
// measured against the stream's quietest moment.
func (d *delayProbe) setRecording(on bool) {
	d.mu.Lock()
	d.recording = on
	d.mu.Unlock()
}

// feedback matches a TWCC report's arrival times with the send times.
func (d *delayProbe) feedback(cc *rtcp.TransportLayerCC) {
	arrival := int64(cc.ReferenceTime) * 64000 // µs on the server's TWCC clock
	seq := cc.BaseSequenceNumber
	deltas := cc.RecvDeltas
	left := int(cc.PacketStatusCount) // status vectors may end in padding symbols
	d.mu.Lock()
	defer d.mu.Unlock()
	received := func() {
		if len(deltas) == 0 {
			return
		}
		arrival += deltas[0].Delta
		deltas = deltas[1:]
		s := d.sent[seq%sentRing]
		if !s.used || s.seq != seq {
			return
		}
		delay := arrival - s.at
		if !d.haveMin || delay < d.minDelay {
			d.minDelay, d.haveMin = delay, true
		}
		if d.recording {
			d.delays = append(d.delays, delay)
		}
	}
	status := func(symbol uint16) {
		if left <= 0 {
			return
		}
		left--
		if symbol == rtcp.TypeTCCPacketReceivedSmallDelta || symbol == rtcp.TypeTCCPacketReceivedLargeDelta {
			received()
		}
		seq++
	}
	for _, chunk := range cc.PacketChunks {
		switch c := chunk.(type) {
		case *rtcp.RunLengthChunk:
			for range c.RunLength {
				status(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				status(s)
			}
		}
	}
}

// queueing returns the window's delays minus the stream's least delay, in
// µs: how long each packet queued beyond the fastest one.
func (d *delayProbe) queueing() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]int64, len(d.delays))
	for i, v := range d.delays {
		out[i] = v - d.minDelay
	}
	return out
}
