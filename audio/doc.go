// Package audio holds callrec's small audio building blocks: an Opus decoder
// behind an interface of our own (decoding straight to 16 kHz mono), and the
// measuring helpers that tests across callrec share — Goertzel tone
// detection, RMS level in dBFS, signal-to-noise ratio, sine generation and a
// minimal PCM WAV reader and writer. Telephony codecs live in subpackages:
// g711, g722, resample (8 to 16 kHz), plc (concealment of lost frames for
// codecs without their own), dtmf (RFC 4733 telephone-events) and cn
// (RFC 3389 comfort noise).
//
// Samples are signed 16-bit PCM (int16) throughout, mono unless said
// otherwise, as the recorder stores them.
package audio
