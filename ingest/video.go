package ingest

import (
	"slices"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

const (
	videoRTPRate = 90000
	// videoMaxLatePackets bounds how many packets the assembler holds
	// waiting for a missing one: more than the largest keyframe of a
	// 640x360 picture (about 40 packets), less than a second of video.
	videoMaxLatePackets = 256
	// videoMaxWait is how long (in RTP time) the assembler waits for a
	// missing packet before it gives the picture up: beyond it the picture
	// would come too late for a recorder anyway (callmedia.Budget).
	videoMaxWait = 200 * time.Millisecond
	// videoSettle is how long a video stream's clock mapping follows the
	// least-delayed packet before it is fixed (drift correction only, as
	// audio's after its reorder window). Its first pictures are held back
	// until then and placed with the settled mapping: a sender whose
	// encoder was slow to start sends them in a burst, and placing each as
	// it came would squeeze them together at the burst's time.
	videoSettle = 250 * callrec.SampleRate / 1000
	// keyframeInterval is the least time between two keyframe requests of
	// one participant, in ticks (500 ms): a keyframe takes a round trip and
	// an encode to come, and asking again before it does only makes the
	// sender send several.
	keyframeInterval = 25
)

// VideoStats counts what a participant's video track did.
type VideoStats struct {
	Packets   int // RTP packets received
	Padding   int // of them padding only (bandwidth probes)
	Frames    int // whole pictures pushed to the hub
	Keyframes int // of them keyframes
	// Dropped counts pictures not pushed: incomplete (a packet lost), or
	// depending on one that was, until the next keyframe.
	Dropped   int
	Requests  int // keyframe requests sent (PLI or FIR)
	Reanchors int // clock mapping restarts on a timestamp jump
}

// videoTrack assembles one participant's video RTP packets into whole
// pictures (pion's samplebuilder with the codec's depacketizer), places
// them on the call clock at their capture time and hands them on in order.
// After a loss it drops pictures until the next keyframe and asks for one
// (wantKeyframe), so that everything it hands on decodes. It runs on the
// peer's worker.
type videoTrack struct {
	codec  callrec.VideoCodec
	sb     *samplebuilder.SampleBuilder
	stamps tsUnwrapper
	clock  rtpClock
	// firstSeen is the arrival of the first packet, when settling began.
	firstSeen int64
	last      int64 // Pos of the last picture handed on
	floor     int64 // no picture before it (the previous leg's end)
	handedOn  bool
	needKey   bool          // drop pictures until a keyframe
	held      []heldPicture // assembled while settling
	padding   paddingSkipper
	stats     VideoStats
	push      func(callrec.VideoFrame)
	// wantKeyframe asks the sender for a keyframe (paced by the session).
	wantKeyframe func()
}

func newVideoTrack(codec string, floor int64, push func(callrec.VideoFrame), wantKeyframe func()) *videoTrack {
	var dep rtp.Depacketizer
	c := callrec.VideoVP8
	if codec == rtcrecv.VideoH264 {
		dep, c = &codecs.H264Packet{}, callrec.VideoH264
	} else {
		dep = &codecs.VP8Packet{}
	}
	return &videoTrack{
		codec: c, sb: samplebuilder.New(videoMaxLatePackets, dep, videoRTPRate, samplebuilder.WithMaxTimeDelay(videoMaxWait)),
		clock: newRTPClock(videoRTPRate), floor: floor, needKey: true,
		push: push, wantKeyframe: wantKeyframe,
	}
}

// insert takes one packet that arrived at call position arrival (the
// packet is the worker's: it is copied) and hands on the pictures it
// completes.
func (v *videoTrack) insert(pkt *rtp.Packet, arrival int64) {
	v.stats.Packets++
	if len(pkt.Payload) == 0 {
		v.stats.Padding++
		v.padding.skip(pkt.SequenceNumber)
		return // padding: it carries no picture
	}
	ts := v.stamps.unwrap(pkt.Timestamp)
	if !v.clock.anchored {
		v.firstSeen = arrival
	}
	// A timestamp far ahead of the arrival, or far behind it, is a jump (a
	// sender restart or a bogus timestamp), as for audio; a picture that
	// is merely late (a sender's encoder stalled) keeps the mapping.
	if pos := v.clock.position(ts); v.clock.anchored && (pos > arrival+maxAhead || pos < arrival-maxBehind) {
		v.clock.anchor(ts, arrival)
		v.stats.Reanchors++
	}
	if pos := v.clock.position(ts); !v.clock.anchored || pos >= arrival-maxAhead {
		v.clock.observe(ts, arrival) // rtpClock takes a late packet for a jump
	}
	c := pkt.Clone()
	c.SequenceNumber = v.padding.renumber(pkt.SequenceNumber)
	v.sb.Push(c)
	for s := v.sb.Pop(); s != nil; s = v.sb.Pop() {
		if !v.clock.fixed {
			v.held = append(v.held, heldPicture{s.Data, s.PacketTimestamp, s.PrevDroppedPackets > 0})
			continue
		}
		v.deliver(s.Data, s.PacketTimestamp, s.PrevDroppedPackets > 0)
	}
	v.tick(arrival)
}

// heldPicture is an assembled picture waiting for the mapping to settle.
type heldPicture struct {
	data       []byte
	rtpTS      uint32
	lossBefore bool
}

// tick ends settling once its time has passed (now is a call position),
// handing on the pictures held.
func (v *videoTrack) tick(now int64) {
	if v.clock.fixed || !v.clock.anchored || now-v.firstSeen < videoSettle {
		return
	}
	v.clock.fix()
	for _, h := range v.held {
		v.deliver(h.data, h.rtpTS, h.lossBefore)
	}
	v.held = nil
}

// deliver hands one assembled picture on, or drops it.
func (v *videoTrack) deliver(data []byte, rtpTS uint32, lossBefore bool) {
	if len(data) == 0 {
		return
	}
	key := isKeyframe(v.codec, data)
	if lossBefore && !key {
		v.needKey = true
	}
	if v.needKey && !key {
		v.stats.Dropped++
		v.wantKeyframe()
		return
	}
	pos := v.clock.position(v.stamps.unwrap(rtpTS))
	if v.handedOn {
		pos = max(pos, v.last)
	}
	if pos < v.floor {
		v.stats.Dropped++
		return
	}
	v.needKey, v.handedOn, v.last = false, true, pos
	v.stats.Frames++
	if key {
		v.stats.Keyframes++
	}
	v.push(callrec.VideoFrame{Pos: pos, Codec: v.codec, Keyframe: key, Data: data})
}

// isKeyframe reports whether an assembled picture decodes on its own: a
// VP8 key frame (RFC 6386 §9.1: bit 0 of the frame tag clear), or an H.264
// access unit with an IDR slice.
func isKeyframe(codec callrec.VideoCodec, data []byte) bool {
	if codec == callrec.VideoVP8 {
		return len(data) > 0 && data[0]&1 == 0
	}
	for i := 0; i+3 < len(data); i++ {
		if data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 && data[i+3]&0x1f == 5 {
			return true
		}
	}
	return false
}

// paddingSkipper takes padding-only packets out of a stream's sequence
// numbers. Chromium probes bandwidth with bursts of them on the video SSRC
// when it has no RTX stream (this endpoint negotiates none); to the
// assembler they would be holes, each costing a picture and a keyframe.
// Media packets are renumbered as if the padding had never been sent.
type paddingSkipper struct {
	seqs   seqUnwrapper
	pruned int64   // padding packets older than those in recent
	recent []int64 // unwrapped sequence numbers of recent padding, sorted
}

// paddingMemory is how far back (in packets) padding is remembered one by
// one: far more than any reordering.
const paddingMemory = 1000

func (p *paddingSkipper) skip(seq uint16) {
	s := p.seqs.unwrap(seq)
	i, found := slices.BinarySearch(p.recent, s)
	if found {
		return // a duplicate
	}
	p.recent = slices.Insert(p.recent, i, s)
	for len(p.recent) > 0 && p.recent[0] < p.seqs.highest-paddingMemory {
		p.recent, p.pruned = p.recent[1:], p.pruned+1
	}
}

// renumber returns a media packet's sequence number less the padding sent
// before it.
func (p *paddingSkipper) renumber(seq uint16) uint16 {
	if p.pruned == 0 && len(p.recent) == 0 {
		p.seqs.unwrap(seq)
		return seq
	}
	s := p.seqs.unwrap(seq)
	before, _ := slices.BinarySearch(p.recent, s)
	return uint16(s - p.pruned - int64(before))
}
