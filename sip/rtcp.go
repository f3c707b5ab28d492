package sip

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/callrec/callrec/mediarecv"
)

// RTCP (RFC 3550 §6): a leg sends the phone receiver reports about the RTP
// it took, every reportEvery (randomised by ±50 %, §6.3.1) and once more
// when it ends, to the phone's RTCP address: where its RTCP comes from
// (symmetric RTCP, latched like RTP), else the latched RTP source's port +
// 1, or the RTP source itself when the offer asked for rtcp-mux (RFC 5761).
// It reads the phone's sender reports for the reports' LSR and DLSR fields.
const reportEvery = 5 * time.Second

// receiverStats is RFC 3550 §A.3's per-source bookkeeping for receiver
// reports: the extended sequence numbers, packets received, the loss
// since the last report, and the interarrival jitter (§A.8).
type receiverStats struct {
	ssrc            uint32
	have            bool
	baseSeq, maxSeq int64 // extended
	received        int64
	expectedPrior   int64
	receivedPrior   int64
	jitter          float64 // RTP clock units
	transit         int64
	haveTransit     bool
}

// packet counts one RTP packet taken from the phone at arrival.
func (r *receiverStats) packet(pkt *rtp.Packet, arrival time.Time, rate int64) {
	if !r.have || pkt.SSRC != r.ssrc {
		*r = receiverStats{ssrc: pkt.SSRC, have: true, baseSeq: int64(pkt.SequenceNumber), maxSeq: int64(pkt.SequenceNumber)}
	} else {
		unwrap(&r.maxSeq, int64(pkt.SequenceNumber), 16)
	}
	r.received++
	// Transit in RTP units of the packet's clock (8000 Hz, Opus 48000).
	t := arrival.Unix()*rate + int64(arrival.Nanosecond())*rate/int64(time.Second) - int64(pkt.Timestamp)
	if r.haveTransit {
		d := t - r.transit
		if d < 0 {
			d = -d
		}
		if d < 10*rate { // a timestamp jump is not jitter
			r.jitter += (float64(d) - r.jitter) / 16
		}
	}
	r.transit, r.haveTransit = t, true
}

// block returns the report block about the phone's stream, and starts a
// new interval.
func (r *receiverStats) block(sr lastSR, now time.Time) rtcp.ReceptionReport {
	expected := r.maxSeq - r.baseSeq + 1
	lost := max(0, expected-r.received)
	expInterval, recInterval := expected-r.expectedPrior, r.received-r.receivedPrior
	r.expectedPrior, r.receivedPrior = expected, r.received
	var fraction uint8
	if lostInterval := expInterval - recInterval; expInterval > 0 && lostInterval > 0 {
		fraction = uint8(lostInterval << 8 / expInterval)
	}
	b := rtcp.ReceptionReport{SSRC: r.ssrc, FractionLost: fraction, TotalLost: uint32(min(lost, 1<<23-1)),
		LastSequenceNumber: uint32(r.maxSeq), Jitter: uint32(r.jitter)}
	if sr.ssrc == r.ssrc && !sr.at.IsZero() {
		b.LastSenderReport = sr.ntpMiddle
		b.Delay = uint32(now.Sub(sr.at) * 65536 / time.Second)
	}
	return b
}

// lastSR is the phone's latest sender report: its NTP time's middle 32
// bits and when it arrived.
type lastSR struct {
	ssrc      uint32
	ntpMiddle uint32
	at        time.Time
}

// rtcpPeer is what the leg learns from the phone's RTCP (on its receive
// worker, from the RTCP port or multiplexed on the RTP port).
type rtcpPeer struct {
	from netip.AddrPort // where the phone's RTCP comes from
	sr   lastSR
}

func (p *rtcpPeer) take(b []byte, from netip.AddrPort, at time.Time) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	p.from = from
	for _, pk := range pkts {
		if sr, ok := pk.(*rtcp.SenderReport); ok {
			p.sr = lastSR{ssrc: sr.SSRC, ntpMiddle: uint32(sr.NTPTime >> 16), at: at}
		}
	}
}

func (p *rtcpPeer) state() (netip.AddrPort, lastSR) { return p.from, p.sr }

// isRTCP reports whether a datagram on a multiplexed port is RTCP (RFC
// 5761 §4: packet types 192–223 where RTP has its marker and payload type).
func isRTCP(b []byte) bool { return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223 }

// reporter sends a leg's receiver reports.
type reporter struct {
	ssrc  uint32 // callrec's, for this leg
	peer  *rtcpPeer
	stats receiverStats
	next  time.Time
	sent  int64
}

func newReporter(peer *rtcpPeer, now time.Time) *reporter {
	r := &reporter{ssrc: rand.Uint32(), peer: peer}
	r.schedule(now)
	return r
}

func (r *reporter) schedule(now time.Time) {
	r.next = now.Add(reportEvery/2 + rand.N(reportEvery))
}

// due sends a report when its time has come (or force, at the end) to the
// phone's RTCP address: rtpFrom is the latched RTP source, mux whether
// RTCP shares its port.
func (r *reporter) due(now time.Time, sock *mediarecv.Socket, rtpFrom netip.AddrPort, mux, force bool) {
	if (!force && now.Before(r.next)) || !r.stats.have {
		return
	}
	r.schedule(now)
	from, sr := r.peer.state()
	to := from
	if !to.IsValid() {
		if !rtpFrom.IsValid() {
			return
		}
		to = rtpFrom
		if !mux {
			to = netip.AddrPortFrom(rtpFrom.Addr(), rtpFrom.Port()+1)
		}
	}
	rr := rtcp.ReceiverReport{SSRC: r.ssrc, Reports: []rtcp.ReceptionReport{r.stats.block(sr, now)}}
	b, err := rr.Marshal()
	if err != nil {
		return
	}
	if err := sock.WriteTo(b, to); err == nil {
		r.sent++
	}
}
