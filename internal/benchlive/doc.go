// Package benchlive is `callrec bench live`: a load test of a running
// callrec server over real WebRTC on loopback.
//
// It starts `callrec serve` as a child process (so that the server's CPU
// and memory come from /proc/<pid> alone) or targets a server given by its
// connection string, creates calls, starts a recording of each, joins
// simulated participants that publish a distinct tone each, holds the
// calls for a measurement window, stops the recordings, downloads every
// file and checks its audio by content: each participant's tone is there,
// with no gap, for as long as it was sent.
//
// The load generator stays out of the server's way: every tone is encoded
// to Opus once per process and its packets replayed with fresh sequence
// numbers and timestamps; a participant is a publisher built from parts
// (a UDP socket, one ICE check, a DTLS client, SRTP), not a full
// PeerConnection; and one pacing goroutine sends every call's packets on
// one fixed 20 ms grid.
//
// Media delay is measured without touching the server: the participants
// put the transport-wide sequence number extension on their packets, the
// server's standard TWCC feedback says when each packet was read by its
// media pipeline, and the sender compares that with when it sent it. The
// queueing delay of a packet is its one-way delay minus the least one-way
// delay of its stream (the clocks' offset cancels out).
//
// Participants may be phones instead (TransportSIP: a SIP INVITE, then
// G.711 µ-law over plain RTP, paced by the same pacer), or both in every
// call (TransportMixed: a browser, a phone, a browser, …); phones have no
// media delay measured, and the decode floor is each participant's own
// decode, Opus or G.711 with upsampling.
//
// With video (Config.Video), every participant also sends simulate's
// synthetic VP8 video, encoded once per process and replayed the same
// way, and each call is recorded as a mixed audioVideo MP4, checked by
// content with ffmpeg: the format, the tones, each participant's colour in
// its tile, and every flash within a frame of its beep. The server is then
// measured with its child processes (its media decoders and encoders).
//
// Ramp repeats runs with more and more calls and finds the largest number
// held with low loss, low delay and intact files.
package benchlive
