// Package mediarecv reads participants' media datagrams (RTP, RTCP, and
// for WebRTC STUN and DTLS) on a few shared worker goroutines, whatever the
// transport: SIP phones' legs and SIPREC streams attach their sockets to a
// Pool; the WebRTC endpoint (ingest/rtcrecv) reads its shared sockets with
// the same bare sockets and batch reader.
//
// What it keeps of the WebRTC receive path's measured wins
// (docs/BENCHMARKS.md, "The receive path"):
//
//   - Bare sockets: on Linux a Socket is a non-blocking descriptor outside
//     the runtime's network poller, so that datagrams arriving between
//     polls wake no thread. FromConn takes one over from a *net.UDPConn
//     bound elsewhere (a port range).
//   - Batch reads: a worker sleeps for a poll interval (20 ms), then drains
//     every socket of its members with recvmmsg into buffers of its own
//     (kernel arrival timestamps, so polling does not blur arrival times)
//     and hands each datagram to its member inline: one wake-up per poll
//     for all of a worker's participants, not one per packet and per tick.
//   - Reads not queued behind decode: while its members tick (release,
//     decode and publish frames), a worker reads its sockets again every
//     2 ms of work.
//   - Placement by measured cost: a member goes to the first worker whose
//     members cost less than a quarter of a core, else to the one whose
//     members cost least: its members now, each at the worker's measured
//     cost per member (the share of wall time its polls spend working over
//     the members it held meanwhile), so that a burst of joins counts at
//     once, before the averages show it.
//
// Everything a Member sees runs on its worker, one call at a time, so a
// member's media state needs no lock.
package mediarecv
