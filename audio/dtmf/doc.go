// Package dtmf reads RFC 4733 telephone-events: the RTP payload
// ("telephone-event/8000") in which SIP phones send the keys pressed on
// their keypad, instead of the tones themselves, so that the keys survive
// compression and are never recorded as noise.
//
// A payload is one or more 4-byte blocks: event code (0–9, *, #, A–D,
// flash), an end bit, a reserved bit, the volume in −dBm0 and the duration
// so far in RTP timestamp units. One key press is a run of packets sharing
// the RTP timestamp of its start, with growing durations; the last carries
// the end bit and is sent three times. Parse reads a block; Tracker turns a
// stream of packets into one Event per key press.
//
// Nothing here allocates once a Tracker exists, and any byte string is
// handled without panicking (a fuzz test checks it).
package dtmf
