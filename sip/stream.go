package sip

import (
	"cmp"
	"slices"

	"github.com/pion/rtp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio/cn"
	"github.com/callrec/callrec/audio/dtmf"
	"github.com/callrec/callrec/audio/plc"
	"github.com/callrec/callrec/callmedia"
)

// Stream tuning, in call-clock samples. These are the rules of callrec's
// WebRTC participants (package ingest): the same reorder window, growth of
// the window for late packets, settling of the mapping, concealment and
// timestamp-jump limits.
const (
	// rtpRate is the RTP clock of every codec a leg takes (G.722's too,
	// RFC 3551) but Opus; one tick is two samples of the call clock.
	// Opus timestamps (48000 Hz) are divided by opusTicks on arrival.
	rtpRate      = 8000
	samplesPerTS = callrec.SampleRate / rtpRate
	opusTicks    = 48000 / rtpRate
	// reorderWindow is how long a packet waits for a missing predecessor
	// before that one counts as lost, and how long a stream settles
	// before its first frame.
	reorderWindow = 120 * callrec.SampleRate / 1000
	// maxWindow is how far the window grows for packets that came late.
	maxWindow     = 300 * callrec.SampleRate / 1000
	windowMargin  = 20 * callrec.SampleRate / 1000
	maxBuffered   = 50 // packets: beyond, the oldest is released at once
	maxConcealed  = 3  // lost 20 ms packets concealed; audio/plc has faded to silence by then
	maxAhead      = 2 * callrec.SampleRate
	maxBehind     = 10 * callrec.SampleRate
	maxHold       = 4 // samples of a gap filled by holding the last sample
	maxDecodedLen = 2 * maxPayload
)

// streamStats counts what happened to one leg's RTP.
type streamStats struct {
	Received, Lost, Late, Duplicates, Concealed, Frames int64
	Recovered                                           int64 // of Concealed, Opus packets rebuilt from the next one's FEC
	Foreign                                             int64 // packets of payload types the answer did not list
	Events                                              int64 // telephone-event key presses
	Reanchors                                           int64
	Drift                                               int64 // samples the mapping moved to follow the phone's clock (signed)
	Window                                              int64 // the reorder window now, samples
}

// queued is one RTP packet waiting in the reorder buffer.
type queued struct {
	seq, ts int64 // unwrapped
	pt      uint8
	payload []byte
	arrival int64 // call-clock position
}

// stream turns one leg's RTP packets into contiguous frames on the call
// clock: reorder → decode (or conceal, or comfort noise) → frames. RTP time
// maps to the call clock as position = offset + (ts − ts0) × 2, where offset
// puts the least-delayed packet of the first reorder window at its arrival
// (a packet never plays before it arrived). push and tick come from one
// goroutine.
type stream struct {
	window int64
	codecs map[uint8]codec // every audio payload type the leg's answers listed, latest meaning first
	tePT   int
	cnPT   int
	dec    *decoder
	plc    *plc.Concealer
	noise  *cn.Generator
	keys   dtmf.Tracker
	out    *callmedia.Framer

	onPress func(dtmf.Press)

	ssrc      uint32
	haveSSRC  bool
	seqHigh   int64
	tsHigh    int64
	numbered  bool
	buf       []queued
	next      int64
	started   bool
	firstSeen int64
	settled   bool
	anchored  bool
	ts0       int64
	offset    int64
	drift     callmedia.DriftTracker
	audioLast bool
	noiseOn   bool
	lastLen   int
	pcm       []int16
	scratch   []int16
	presses   []dtmf.Press
	spare     [][]byte

	stats streamStats
}

func newStream(emit func(pos int64, samples []int16), onPress func(dtmf.Press)) *stream {
	s := &stream{
		window: reorderWindow, codecs: map[uint8]codec{}, tePT: -1, cnPT: -1,
		dec: newDecoder(), plc: plc.New(callrec.SampleRate), noise: cn.NewGenerator(127, 1),
		onPress: onPress, pcm: make([]int16, maxDecodedLen), scratch: make([]int16, callrec.FrameSamples),
		lastLen: callrec.FrameSamples,
	}
	s.out = callmedia.NewFramer(func(pos int64, samples []int16) {
		s.stats.Frames++
		emit(pos, samples)
	})
	s.stats.Window = s.window
	return s
}

// use takes the payload types of a (new) answer. Packets of a codec an
// earlier answer listed are still taken and decoded as what they are (a
// phone's packets in flight when it changes codec).
func (s *stream) use(d mediaDesc) {
	s.codecs[d.pt] = d.codec
	s.tePT, s.cnPT = d.tePT, d.cnPT
}

func unwrap(high *int64, v, width int64) int64 {
	half := int64(1) << (width - 1)
	d := (v - *high) & (2*half - 1)
	if d >= half {
		d -= 2 * half
	}
	n := *high + d
	*high = max(*high, n)
	return n
}

// push takes one packet that arrived at call position arrival.
func (s *stream) push(pkt *rtp.Packet, arrival int64) {
	s.stats.Received++
	pt := pkt.PayloadType
	if _, audio := s.codecs[pt]; !audio && int(pt) != s.tePT && int(pt) != s.cnPT || len(pkt.Payload) > maxPayload {
		s.stats.Foreign++
		return
	}
	if s.haveSSRC && pkt.SSRC != s.ssrc {
		s.restart(arrival)
	}
	s.ssrc, s.haveSSRC = pkt.SSRC, true
	var seq, ts int64
	if !s.numbered {
		s.numbered, s.seqHigh, s.tsHigh = true, int64(pkt.SequenceNumber), int64(pkt.Timestamp)
		seq, ts = s.seqHigh, s.tsHigh
	} else {
		seq = unwrap(&s.seqHigh, int64(pkt.SequenceNumber), 16)
		ts = unwrap(&s.tsHigh, int64(pkt.Timestamp), 32)
	}
	if s.codecs[pt] == codecOpus {
		// To 8000 Hz ticks: the phone's timestamps share a remainder
		// modulo 6 (Opus frames are multiples of 2.5 ms, 120 ticks), so
		// the floor keeps their differences exact.
		ts = floorDiv(ts, opusTicks)
	}
	if !s.started {
		s.started, s.firstSeen = true, arrival
	}
	if int(pt) != s.tePT && !s.settled {
		// Settling: the offset follows the least-delayed packet.
		if !s.anchored {
			s.anchor(ts, arrival)
		} else if e := arrival - s.position(ts); e < 0 && -e < maxAhead {
			s.offset += e
		}
	} else if int(pt) != s.tePT && s.anchored {
		// Settled: the mapping follows the phone's clock drift.
		// (A timestamp jump is not timing: place() re-anchors on it.)
		if excess := arrival - s.position(ts); excess <= maxAhead && -excess <= maxAhead {
			step := s.drift.Observe(excess, arrival)
			s.offset += step
			s.stats.Drift += step
		}
	}
	if s.settled && seq < s.next {
		s.stats.Late++
		if int(pt) != s.tePT {
			s.lateBy(arrival - s.position(ts))
		}
		return
	}
	i, found := slices.BinarySearchFunc(s.buf, seq, func(q queued, seq int64) int { return cmp.Compare(q.seq, seq) })
	if found {
		s.stats.Duplicates++
		return
	}
	s.buf = slices.Insert(s.buf, i, queued{seq: seq, ts: ts, pt: pt, payload: append(s.spareBuffer(), pkt.Payload...), arrival: arrival})
}

// clockRate returns the RTP clock of payload type pt's packets.
func (s *stream) clockRate(pt uint8) int64 { return int64(s.codecs[pt].clockRate()) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func (s *stream) spareBuffer() []byte {
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return b[:0]
	}
	return make([]byte, 0, 320)
}

func (s *stream) anchor(ts, pos int64) {
	s.anchored, s.ts0, s.offset = true, ts, pos
	s.drift = callmedia.NewDriftTracker(pos)
}

// position maps an unwrapped RTP timestamp to the call clock.
func (s *stream) position(ts int64) int64 { return s.offset + (ts-s.ts0)*samplesPerTS }

// lateBy grows the window for a packet that came delay samples after its
// place, up to maxWindow; it never shrinks during a leg.
func (s *stream) lateBy(delay int64) {
	if delay < s.window || s.window >= maxWindow {
		return
	}
	s.window = min(maxWindow, delay+windowMargin)
	s.stats.Window = s.window
}

// restart forgets the stream's numbering and decoder state (a new SSRC, or
// the phone resuming after hold): the next packets settle a new mapping.
// Frames continue where they were.
func (s *stream) restart(now int64) {
	s.drain(now)
	s.numbered, s.started, s.settled, s.anchored = false, false, false, false
	s.audioLast, s.noiseOn = false, false
	s.dec.reset()
	s.plc.Reset()
}

// tick lets time pass: releases packets whose wait is over and fills
// silence (or comfort noise) while none come.
func (s *stream) tick(now int64) {
	if !s.settled {
		if len(s.buf) == 0 || now-s.firstSeen < s.window {
			return
		}
		s.settle()
	}
	for len(s.buf) > 0 {
		head := s.buf[0]
		if head.seq != s.next && head.arrival+s.window > now && len(s.buf) < maxBuffered {
			break
		}
		s.pop(now)
	}
	if len(s.buf) == 0 {
		if gap := now - s.window - s.out.Cursor(); gap > 0 {
			s.fill(gap)
			s.audioLast = false
		}
	}
}

// pop releases the head of the buffer.
func (s *stream) pop(now int64) {
	head := s.buf[0]
	s.buf = slices.Delete(s.buf, 0, 1)
	lost := max(0, head.seq-s.next)
	s.next = head.seq + 1
	s.deliver(head, lost, now)
	s.spare = append(s.spare, head.payload)
}

// settle fixes the mapping and starts frames at the first packet's place.
func (s *stream) settle() {
	s.settled = true
	first := s.buf[0]
	if !s.anchored {
		s.anchor(first.ts, first.arrival)
	}
	s.next = first.seq
	start := s.position(first.ts)
	if s.out.Started() && start < s.out.Cursor() {
		start = s.out.Cursor()
	}
	s.out.Start(start)
}

// drain releases every buffered packet now.
func (s *stream) drain(now int64) {
	if !s.settled {
		if len(s.buf) == 0 {
			return
		}
		s.settle()
	}
	for len(s.buf) > 0 {
		s.pop(now)
	}
}

// finish drains the stream and pads its last frame; the leg is over.
func (s *stream) finish(now int64) {
	s.drain(now)
	s.out.Finish()
}

// deliver places one released packet: a key press is reported (never
// recorded), comfort noise sets the level of the noise that fills the
// pause it starts, audio is decoded at its place after filling the gap
// before it.
func (s *stream) deliver(pk queued, lost, now int64) {
	s.stats.Lost += lost
	switch {
	case int(pk.pt) == s.tePT:
		var err error
		if s.presses, err = s.keys.Packet(s.presses[:0], uint32(pk.ts), pk.payload); err == nil {
			for _, p := range s.presses {
				s.stats.Events++
				if s.onPress != nil {
					s.onPress(p)
				}
			}
		}
		return
	case int(pk.pt) == s.cnPT:
		if n, err := cn.Parse(pk.payload); err == nil {
			pos := s.place(pk, now)
			if gap := pos - s.out.Cursor(); gap > 0 {
				s.fill(gap)
			}
			s.noise.SetLevel(n.Level)
			s.noiseOn, s.audioLast = true, false
		}
		return
	}
	s.dec.use(s.codecs[pk.pt])
	pos := s.place(pk, now)
	cur := s.out.Cursor()
	gap := pos - cur
	if gap > 0 {
		s.fillGap(gap, lost, pk.payload)
	}
	out, ok := s.dec.decode(s.pcm, pk.payload)
	if !ok {
		s.stats.Lost++
		s.audioLast = false
		return
	}
	s.plc.Good(out)
	s.lastLen = max(len(out), 1)
	if gap < 0 {
		if gap < -maxHold && lost == 0 {
			s.lateBy(pk.arrival - pos) // its time was filled while it was on its way
		}
		skip := min(-gap, int64(len(out)))
		if out = out[skip:]; len(out) == 0 {
			s.stats.Late++
			return
		}
	}
	s.out.Write(out)
	s.audioLast, s.noiseOn = true, false
}

// place returns pk's call-clock position, re-anchoring the mapping when
// its timestamp jumped (a phone restarting its numbering).
func (s *stream) place(pk queued, now int64) int64 {
	cur := s.out.Cursor()
	pos := s.position(pk.ts)
	if pos > max(now, pk.arrival)+maxAhead || pos < cur-maxBehind {
		s.anchor(pk.ts, max(pk.arrival, cur))
		s.stats.Reanchors++
		pos = s.position(pk.ts)
	}
	return pos
}

// fillGap fills gap samples before the next audio packet (whose payload
// is next): up to maxConcealed lost packets right after audio are
// concealed (by the codec when it can, Opus recovering the packet just
// before next from next's FEC), the rest is silence (or comfort noise
// after a CN packet).
func (s *stream) fillGap(gap, lost int64, next []byte) {
	if lost == 0 && s.audioLast && gap <= maxHold {
		var hold [maxHold]int16
		for i := range gap {
			hold[i] = s.pcm[s.lastLen-1]
		}
		s.out.Write(hold[:gap])
		return
	}
	if lost > 0 && s.audioLast {
		frames := min(gap/int64(s.lastLen), lost, maxConcealed)
		for k := range frames {
			buf := s.pcm[:s.lastLen]
			var fec []byte // only for the lost packet right before next
			if k == frames-1 && frames == lost && gap == int64(s.lastLen) {
				fec = next
			}
			if ok, fromFEC := s.dec.conceal(buf, fec); !ok {
				s.plc.Conceal(buf)
			} else if fromFEC {
				s.stats.Recovered++
			}
			s.out.Write(buf)
			s.stats.Concealed++
			gap -= int64(s.lastLen)
		}
	}
	if gap > 0 {
		s.fill(gap)
	}
	s.audioLast = false
}

// fill writes n samples of silence, or of comfort noise after a CN packet.
func (s *stream) fill(n int64) {
	if !s.noiseOn {
		s.out.Silence(n)
		return
	}
	for n > 0 {
		k := min(n, int64(len(s.scratch)))
		s.noise.Fill(s.scratch[:k])
		s.out.Write(s.scratch[:k])
		n -= k
	}
}
