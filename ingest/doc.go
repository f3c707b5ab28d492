// Package ingest brings live call media into callrec: participants publish
// Opus audio over WebRTC with WHIP (RFC 9725), authorised by a join token,
// and each participant's audio is reordered, decoded to 16 kHz mono, has its
// losses concealed and is placed on a per-call clock, so that the recorder
// (a callrec.MediaSubscriber) receives contiguous 20 ms frames per
// participant that line up across participants to the sample.
//
// Vocabulary, from the network inwards:
//
//   - Server: the WHIP endpoint, the join page and the metrics; it
//     implements callrec.MediaSource. WebRTC itself (ICE-lite, DTLS-SRTP,
//     the UDP sockets) is package rtcrecv; its workers drive the sessions.
//   - session: one WHIP resource, one rtcrecv.Peer, one participant; the
//     peer's rtcrecv.Handler, run on the peer's media worker.
//   - reorderBuffer: puts RTP packets back in sequence order and decides
//     when a missing packet is lost.
//   - rtpClock: maps a stream's RTP timestamps to call-clock positions,
//     across timestamp wrap and sender clock drift.
//   - framer: cuts decoded audio into contiguous 20 ms frames, filling
//     gaps with concealment or silence and never repeating time.
//   - pipeline: the per-participant chain reorderBuffer → decoder →
//     framer. Losses are first fought with NACK (negotiated for audio
//     when the sender offers it), then with Opus in-band FEC for a single
//     lost packet, then with concealment (up to 100 ms), then silence.
//   - callMedia: a call's clock, participants and subscribers.
package ingest
