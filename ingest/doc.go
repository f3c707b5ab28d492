// Package ingest is callrec's WebRTC transport: participants publish Opus
// audio, and VP8 or H.264 video, over WebRTC with WHIP (RFC 9725), authorised by a join token
// (package jointoken), and each participant's audio is reordered, decoded to
// 16 kHz mono, has its losses concealed and is pushed into the call media
// core (package callmedia) on the call's clock, as contiguous 20 ms frames
// that line up across participants to the sample. Recorders subscribe to
// the core, not to this package.
//
// Vocabulary, from the network inwards:
//
//   - Server: the WHIP endpoint, the join page and the metrics. WebRTC
//     itself (ICE-lite, DTLS-SRTP, the UDP sockets) is package rtcrecv; its
//     workers drive the sessions. New checks that the server's frame delay
//     fits the core's latency budget (callmedia.Budget).
//   - session: one WHIP resource, one rtcrecv.Peer, one participant; the
//     peer's rtcrecv.Handler, run on the peer's media worker, and the
//     participant's callmedia.Leg (hung up when the call ends or the
//     participant rejoins elsewhere).
//   - reorderBuffer: puts RTP packets back in sequence order and decides
//     when a missing packet is lost.
//   - rtpClock: maps a stream's RTP timestamps to call-clock positions,
//     across timestamp wrap and sender clock drift (callmedia.DriftTracker).
//   - pipeline: the per-participant chain reorderBuffer → decoder →
//     callmedia.Framer (contiguous 20 ms frames, gaps filled with
//     concealment or silence, time never repeated). Losses are first fought with NACK (negotiated for audio
//     when the sender offers it), then with Opus in-band FEC for a single
//     lost packet, then with concealment (up to 100 ms), then silence.
//   - videoTrack: a participant's video (VP8 or H.264, as rtcrecv
//     negotiated it): RTP packets assembled into whole pictures (pion's
//     samplebuilder and depacketizers), placed on the call clock at their
//     capture time by their own rtpClock, and pushed into the core
//     (callmedia.Participant.PushVideo). After a lost packet it drops
//     pictures until the next keyframe and asks for one; the session
//     sends keyframe requests (PLI, or FIR) at most every 500 ms, for the
//     track and for the core's subscribers (a recording that starts asks
//     through callmedia.KeyframeRequester).
//
// A session attaches its participant to the core (callmedia.Hub.Attach,
// which records the join with the call service), pushes the pipeline's
// frames and mute changes into it, and leaves it when the peer closes; the
// leave is then recorded off the media worker.
package ingest
