// Package sipphone is a simulated phone: a SIP user agent client (sipgo)
// with an RTP socket that calls callrec's SIP endpoint
// (sip:<serverCallId>@<sip-addr>), sends a tone, silence or a WAV file as
// G.711 (PCMU, PCMA), G.722 or Opus RTP on a 20 ms schedule, reads callrec's
// RTCP receiver reports, and hangs up with a BYE. `callrec simulate`
// (--participant RAWID=sip:SOURCE), `callrec bench live --transport sip`
// and the SIP tests use it, so that phones can be simulated without other
// software.
//
// Vocabulary:
//
//   - Dial places the call: INVITE with an SDP offer of one codec (plus
//     telephone-event), ACK of the 200; the returned Call holds the RTP
//     and RTCP sockets (ports P and P+1 on the phone's address) and the
//     address callrec's answer gave for media.
//   - Join is Dial plus streaming: packet i is due at start + i×20 ms
//     (simulate.SendPlan), with optional loss and jitter, then BYE. It
//     reports a simulate.Result, as WebRTC participants do, plus what the
//     receiver reports said.
//   - Clip: a source encoded once per process into 20 ms packets of a
//     codec; tones loop seamlessly.
//
// The phone's identity follows callrec's rule for SIP participants: a
// rawId "4:+<number>" calls from sip:+<number>@<phone's address> with that
// number in P-Asserted-Identity; a rawId "sip:user@host" calls from that
// URI.
package sipphone
