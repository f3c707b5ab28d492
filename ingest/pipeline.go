package ingest

import (
	"math"
	"time"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callmedia"
)

// Pipeline tuning, in call-clock samples.
const (
	opusRTPRate = 48000
	// defaultLatency is how long a packet may wait for a missing
	// predecessor before that one is declared lost (the reorder window),
	// and how long the stream settles before its first frame.
	defaultLatency = 120 * callrec.SampleRate / 1000
	// maxConcealFrames bounds packet loss concealment; longer losses become
	// silence (concealment of a long gap only makes a droning sound).
	maxConcealFrames = 5
	// maxAhead and maxBehind bound how far a packet's mapped position may
	// be from now and from the cursor before its timestamp counts as a jump
	// (a sender restart or a bogus timestamp) and the mapping restarts.
	maxAhead  = 2 * callrec.SampleRate
	maxBehind = 10 * callrec.SampleRate
	// maxLatency is how far a stream's reorder window may grow when its
	// packets come late (lateBy): well below the recorder's lateness
	// (450 ms), which also covers the decode and delivery after it.
	maxLatency = 300 * callrec.SampleRate / 1000
	// latencyMargin is added to the delay that made a packet late.
	latencyMargin = 20 * callrec.SampleRate / 1000
	// maxHoldSamples is the longest gap between two packets in sequence
	// that is filled by holding the last sample (drift steps) instead of
	// with silence.
	maxHoldSamples = 4
	// muteAfter is how long a stream must stay without packets before the
	// participant counts as muted (DTX keeps sending one packet per 400 ms).
	muteAfter = 1 * callrec.SampleRate
)

// StreamStats counts what happened to one participant's audio.
type StreamStats struct {
	Received     int64 // RTP packets, padding-only ones included
	Padding      int64 // padding-only packets (no audio, consume a sequence number)
	Lost         int64 // sequence numbers never received in time
	Late         int64 // packets that arrived after their audio was due
	Duplicates   int64
	Concealed    int64 // frames synthesised by concealment
	Recovered    int64 // lost frames rebuilt from the next packet's in-band FEC
	DecodeErrors int64
	Frames       int64 // frames emitted
	SSRCChanges  int64
	Reanchors    int64 // timestamp jumps that restarted the mapping
	Drift        int64 // total drift correction, samples (signed)
	// Stretched and Squeezed count packets whose decoded audio was
	// resampled by a few samples, over the packet's length, to meet the
	// clock (drift, jitter): inaudible. Cut counts packets that came so late
	// their first samples were dropped (a discontinuity).
	Stretched, Squeezed, Cut int64
	Jitter                   float64
	Window                   int64 // the reorder window now, samples (grows when packets come late)
}

// pipeline turns one participant's RTP packets into contiguous frames on
// the call clock: reorder → decode (or conceal) → framer. It is driven by
// push (each packet, with its arrival position) and tick (time passing) from
// one goroutine.
type pipeline struct {
	latency int64
	dec     audio.Decoder
	metrics *metrics

	onFrame func(pos int64, samples []int16)
	onMute  func(muted bool, pos int64)

	ssrc      uint32
	haveSSRC  bool
	seqs      seqUnwrapper
	stamps    tsUnwrapper
	clock     rtpClock
	buf       reorderBuffer
	spare     [][]byte // payload buffers of released packets, for reuse
	fr        *callmedia.Framer
	pcm       []int16
	stretch   []int16 // a packet resampled to its slot (spreadCorrection)
	started   bool    // a packet of the current stream was seen
	settled   bool    // the stream's mapping is fixed and frames flow
	firstSeen int64
	lastSeen  int64
	muted     bool
	audioLast bool // the framer's last samples were decoded audio
	lastDur   int  // samples of the last decoded packet

	transit     int64
	haveTransit bool
	jitter      float64 // RFC 3550 interarrival jitter, RTP units

	stats StreamStats
}

func newPipeline(dec audio.Decoder, latency int64, m *metrics,
	onFrame func(pos int64, samples []int16), onMute func(muted bool, pos int64)) *pipeline {
	p := &pipeline{
		latency: latency,
		dec:     dec,
		metrics: m,
		onFrame: onFrame,
		onMute:  onMute,
		clock:   newRTPClock(opusRTPRate),
		pcm:     make([]int16, audio.MaxPacketSamples),
		stretch: make([]int16, audio.MaxPacketSamples+maxHoldSamples),
		lastDur: callrec.FrameSamples,
	}
	p.buf.wait = latency
	p.stats.Window = latency
	p.fr = callmedia.NewFramer(func(pos int64, samples []int16) {
		p.stats.Frames++
		p.onFrame(pos, samples)
	})
	return p
}

// push takes one received RTP packet that arrived at call position arrival,
// and releases what it completes.
func (p *pipeline) push(pkt *rtp.Packet, arrival int64) {
	if p.insert(pkt, arrival) {
		p.release(arrival)
	}
}

// insert takes one received RTP packet into the reorder buffer without
// releasing anything: the next tick decodes it, together with the packets
// of the other participants (decoding in bursts keeps the decoder's code
// and tables in cache). It reports whether the packet was buffered.
func (p *pipeline) insert(pkt *rtp.Packet, arrival int64) bool {
	p.stats.Received++
	p.metrics.packet(len(pkt.Payload) == 0)
	if p.haveSSRC && pkt.SSRC != p.ssrc {
		p.drain(arrival)
		p.restartStream()
		p.stats.SSRCChanges++
	}
	if !p.started {
		p.started, p.firstSeen = true, arrival
	}
	p.ssrc, p.haveSSRC = pkt.SSRC, true
	if p.muted {
		p.muted = false
		p.onMute(false, arrival)
	}
	p.lastSeen = arrival

	seq := p.seqs.unwrap(pkt.SequenceNumber)
	ts := p.stamps.unwrap(pkt.Timestamp)
	if len(pkt.Payload) == 0 {
		p.stats.Padding++
	} else {
		p.updateJitter(ts, arrival)
		if move := p.clock.observe(ts, arrival); move != 0 {
			p.stats.Drift += move
		}
	}
	if seq < p.buf.next && p.settled {
		p.stats.Late++
		p.metrics.late()
		p.lateBy(arrival - p.clock.position(ts))
		return false
	}
	// The caller's packet is reused after this call: buffer a copy, in a
	// buffer recycled from an earlier packet.
	payload := append(p.spareBuffer(), pkt.Payload...)
	if !p.buf.insert(bufferedPacket{seq: seq, ts: ts, payload: payload, arrival: arrival}) {
		p.spare = append(p.spare, payload)
		p.stats.Duplicates++
		return false
	}
	return true
}

// lateBy notes a packet that came delay samples after its mapped
// position, too late for the reorder window: the window grows to take such
// a delay next time (a recorder can wait; a hole in the file is worse), up
// to maxLatency. It never shrinks during a session.
func (p *pipeline) lateBy(delay int64) {
	if delay < p.latency || p.latency >= maxLatency {
		return
	}
	p.latency = min(maxLatency, delay+latencyMargin)
	p.buf.wait = p.latency
	p.stats.Window = p.latency
}

// spareBuffer returns an empty payload buffer, recycled when possible.
func (p *pipeline) spareBuffer() []byte {
	if n := len(p.spare); n > 0 {
		b := p.spare[n-1]
		p.spare = p.spare[:n-1]
		return b[:0]
	}
	return make([]byte, 0, 256)
}

// tick lets time pass: releases packets whose wait is over, fills silence
// while no packet comes, and notices a stream that stopped (mute).
func (p *pipeline) tick(now int64) {
	p.release(now)
	if p.settled && !p.muted && now-p.lastSeen > muteAfter {
		p.muted = true
		p.onMute(true, p.lastSeen)
	}
}

// finish releases everything still buffered and emits the last, padded
// frame; the stream is over.
func (p *pipeline) finish(now int64) {
	p.drain(now)
	p.fr.Finish()
}

// restartStream forgets the stream's numbering and decoder state (a new
// SSRC); the framer continues.
func (p *pipeline) restartStream() {
	p.seqs, p.stamps = seqUnwrapper{}, tsUnwrapper{}
	p.clock = newRTPClock(opusRTPRate)
	p.buf.reset()
	p.dec.Reset()
	p.started, p.settled, p.audioLast, p.haveTransit = false, false, false, false
}

// settle fixes the stream's mapping and starts its frames at the first
// packet's position. A first packet whose position is implausibly far from
// its arrival (a timestamp jump during settling) re-anchors the mapping.
func (p *pipeline) settle() {
	p.settled = true
	first := p.buf.packets[0]
	if pos := p.clock.position(first.ts); !p.clock.anchored || abs64(pos-first.arrival) > maxAhead {
		p.clock.anchor(first.ts, first.arrival)
		p.stats.Reanchors++
	}
	p.clock.fix()
	p.buf.next = first.seq
	start := p.clock.position(first.ts)
	if p.fr.Started() && start < p.fr.Cursor() {
		start = p.fr.Cursor()
	}
	p.fr.Start(start)
}

func (p *pipeline) release(now int64) {
	if !p.settled {
		if p.buf.len() == 0 || now-p.firstSeen < p.latency {
			return
		}
		p.settle()
	}
	for {
		pk, lost, ok := p.buf.pop(now)
		if !ok {
			break
		}
		p.deliver(pk, lost, now)
		p.spare = append(p.spare, pk.payload)
	}
	if p.buf.len() == 0 {
		if gap := now - p.latency - p.fr.Cursor(); gap > 0 {
			p.fr.Silence(gap)
			p.audioLast = false
		}
	}
}

// drain releases every buffered packet now, declaring gaps lost.
func (p *pipeline) drain(now int64) {
	if !p.settled && p.buf.len() > 0 {
		p.settle()
	}
	for {
		pk, lost, ok := p.buf.pop(math.MaxInt64 - p.latency)
		if !ok {
			return
		}
		p.deliver(pk, lost, now)
		p.spare = append(p.spare, pk.payload)
	}
}

// deliver decodes one released packet into the framer at its mapped
// position, after filling the gap before it.
func (p *pipeline) deliver(pk bufferedPacket, lost, now int64) {
	if lost > 0 {
		p.stats.Lost += lost
		p.metrics.lost(lost)
	}
	if len(pk.payload) == 0 {
		return // padding only: it consumed a sequence number, it carries no audio
	}
	cur := p.fr.Cursor()
	pos := p.clock.position(pk.ts)
	if pos > max(now, pk.arrival)+maxAhead || pos < cur-maxBehind {
		p.clock.anchor(pk.ts, max(pk.arrival, cur))
		p.clock.fix()
		pos = p.clock.position(pk.ts)
		p.stats.Reanchors++
		lost = 0
	}
	gap := pos - cur
	// A packet in sequence a few samples off its slot (the clock mapping
	// followed drift, or jitter moved it) fills the slot exactly: its
	// audio is resampled over its whole length (spreadCorrection) rather
	// than a sample held or cut at the seam, which clicks on a tone.
	spread := lost == 0 && p.audioLast && gap != 0 && abs64(gap) <= maxHoldSamples
	if gap > 0 && !spread {
		p.fillGap(gap, lost, pk.payload)
	}
	start := time.Now()
	n, err := p.dec.Decode(pk.payload, p.pcm)
	p.metrics.decoded(time.Since(start))
	if err != nil {
		p.stats.DecodeErrors++
		p.metrics.decodeError()
		if n, err = p.dec.Conceal(p.pcm[:p.lastDur]); err != nil {
			n = p.lastDur
			clear(p.pcm[:n])
		}
		p.stats.Concealed++
		p.metrics.concealed(1)
	} else {
		p.lastDur = n
	}
	out := p.pcm[:n]
	if spread && err == nil && int64(n) > maxHoldSamples {
		out = p.spreadCorrection(out, gap)
		p.fr.Write(out)
		p.audioLast = true
		return
	}
	if spread && gap > 0 {
		p.fillGap(gap, lost, pk.payload) // not decoded: hold as before
	}
	if gap < -maxHoldSamples && lost == 0 {
		// Its time was filled with silence while it was on its way.
		p.lateBy(pk.arrival - pos)
	}
	if gap < 0 {
		skip := min(-gap, int64(n))
		out = out[skip:]
		p.stats.Cut++
		p.metrics.corrected(gap, false)
		if len(out) == 0 {
			p.stats.Late++
			p.metrics.late()
			return
		}
	}
	p.fr.Write(out)
	p.audioLast = true
}

// spreadCorrection resamples a decoded packet's n samples to n+gap
// (|gap| ≤ maxHoldSamples), linearly, its first and last samples kept: a
// correction of a sample or two over a 20 ms packet changes the pitch by
// 0.3 % for 20 ms, which nobody hears, where a sample held or dropped at a
// seam is a step in the waveform.
func (p *pipeline) spreadCorrection(in []int16, gap int64) []int16 {
	n, m := len(in), len(in)+int(gap)
	out := p.stretch[:m]
	// Position in the input of output sample i: i·(n−1)/(m−1), in 16.16
	// fixed point.
	step := (int64(n-1) << 16) / int64(m-1)
	for i := range m {
		x := int64(i) * step
		j, frac := int(x>>16), x&0xffff
		if j >= n-1 {
			out[i] = in[n-1]
			continue
		}
		a, b := int64(in[j]), int64(in[j+1])
		out[i] = int16(a + (b-a)*frac>>16)
	}
	if gap > 0 {
		p.stats.Stretched++
	} else {
		p.stats.Squeezed++
	}
	p.metrics.corrected(gap, true)
	return out
}

// fillGap fills gap samples before the next packet: for up to
// maxConcealFrames lost packets that directly follow decoded audio, with
// concealment — the last one, when it adjoins next, rebuilt from next's
// in-band FEC if next carries some — and with silence for the rest (DTX,
// pauses, long losses).
func (p *pipeline) fillGap(gap, lost int64, next []byte) {
	if lost == 0 && p.audioLast && gap <= maxHoldSamples {
		// A drift correction step: hold the last sample rather than drop
		// to zero in the middle of speech.
		var hold [maxHoldSamples]int16
		for i := range gap {
			hold[i] = p.pcm[p.lastDur-1]
		}
		p.fr.Write(hold[:gap])
		return
	}
	if lost > 0 && p.audioLast {
		frames := min(gap/int64(p.lastDur), lost, maxConcealFrames)
		adjoins := frames == lost && gap == frames*int64(p.lastDur)
		for i := range frames {
			var n int
			var fromFEC bool
			var err error
			if adjoins && i == frames-1 {
				n, fromFEC, err = p.dec.Recover(next, p.pcm[:p.lastDur])
			} else {
				n, err = p.dec.Conceal(p.pcm[:p.lastDur])
			}
			if err != nil || n == 0 {
				break
			}
			p.fr.Write(p.pcm[:n])
			gap -= int64(n)
			if fromFEC {
				p.stats.Recovered++
				p.metrics.recovered(1)
			} else {
				p.stats.Concealed++
				p.metrics.concealed(1)
			}
		}
	}
	if gap > 0 {
		p.fr.Silence(gap)
	}
	p.audioLast = false
}

// missing appends to dst the sequence numbers the reorder buffer is still
// waiting for: the holes below the newest buffered packet.
func (p *pipeline) missing(dst []uint16) []uint16 {
	if !p.settled {
		return dst
	}
	next := p.buf.next
	for _, pk := range p.buf.packets {
		for seq := next; seq < pk.seq && len(dst) < maxReorderPackets; seq++ {
			dst = append(dst, uint16(seq))
		}
		next = pk.seq + 1
	}
	return dst
}

// updateJitter keeps the RFC 3550 interarrival jitter estimate.
func (p *pipeline) updateJitter(ts, arrival int64) {
	transit := arrival*opusRTPRate/callrec.SampleRate - ts
	if p.haveTransit {
		d := float64(abs64(transit - p.transit))
		p.jitter += (d - p.jitter) / 16
		p.stats.Jitter = p.jitter / opusRTPRate
		p.metrics.jitter(p.stats.Jitter)
	}
	p.transit, p.haveTransit = transit, true
}
