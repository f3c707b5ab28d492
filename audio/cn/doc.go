// Package cn reads RFC 3389 comfort noise and makes the noise it
// describes. A phone with voice activity detection stops sending audio
// while its user is silent and sends, now and then, a comfort-noise packet
// (RTP payload type 13, "CN") giving the level of the background noise, so
// that the far end can fill the gap with noise instead of dead silence.
//
// A payload is one byte of noise level, 0 to 127 in −dBov (0 dBov being
// the loudest sine the codec carries, as the recommendation defines it: a
// full-scale sine), then optional reflection coefficients describing the
// noise's spectrum. Parse reads the level and counts the coefficients;
// a Generator makes white noise at that level (the spectrum is not
// modelled: for a recording, the level is what keeps a leg from sounding
// dead between words).
//
// A Generator allocates nothing per frame and is not safe for concurrent
// use; keep one per stream.
package cn
