// Package rtcrecv is a receive-only WebRTC endpoint made for recording: it
// answers a WHIP offer, then takes the publisher's RTP on a few shared UDP
// sockets with as little work per packet as WebRTC allows.
//
// A Pion PeerConnection per participant costs a UDP socket, an SRTP session,
// an interceptor chain and five goroutine hand-offs per packet (socket read
// loop → ICE → mux → SRTP session → track reader); on the server that was
// about half the CPU of recording a call (docs/BENCHMARKS.md). Here instead:
//
//   - Endpoint: one worker goroutine per CPU, each owning one UDP socket per
//     local address. A worker sleeps for a poll interval (20 ms), then
//     drains its sockets with recvmmsg (kernel arrival timestamps, so polling
//     does not blur arrival times), handles every packet inline and lets its
//     peers' handlers work: one wake-up per poll for all of a worker's
//     participants, not several per packet. On Linux a socket is a bare
//     non-blocking descriptor outside the runtime's network poller, so that
//     datagrams arriving between polls wake no thread (package mediarecv,
//     which SIP legs and SIPREC streams are read with too).
//   - ICE-lite (RFC 8445 §2.5): the endpoint never sends checks; it answers
//     the publisher's STUN binding requests (authenticated with the local
//     ice-pwd, which also routes them to their peer by ufrag) and learns the
//     publisher's address from them.
//   - DTLS-SRTP (RFC 5764): the handshake runs on a goroutine of the peer's
//     own over github.com/pion/dtls, fed by the worker; after it, packets are
//     decrypted in place with github.com/pion/srtp on the worker.
//   - RTCP out: transport-wide congestion control feedback when negotiated
//     (github.com/pion/interceptor/pkg/twcc's recorder), paced as libwebrtc's
//     receiver (feedback.go), NACKs (audio) and keyframe requests (PLI or
//     FIR, video) asked for by the handler. RTCP in is not needed and is not
//     decrypted.
//   - Video: the first video section sending VP8 (preferred) or H.264
//     (packetization mode 1) is accepted, capped at VideoMaxKbps with b=AS;
//     its packets go to a handler that is a VideoHandler. Bandwidth
//     estimation stays the sender's, from the transport-wide feedback above
//     (no REMB is sent): on a receive-only endpoint that feedback is all
//     Chromium's and Pion's estimators need, and b=AS bounds what they
//     aim for.
//
// Everything a peer's Handler sees runs on its worker goroutine, one call at
// a time. A new peer goes to a worker by measured cost, not by count: the
// first worker whose peers cost less than a quarter of a core, else the
// one whose peers cost least (each worker's peers counted now, at its
// measured cost per peer: the share of wall time its polls spend working
// over the peers it held meanwhile; mediarecv.Least). A worker reads its
// sockets again every 2 ms of decoding, so reads never wait behind a burst.
package rtcrecv
