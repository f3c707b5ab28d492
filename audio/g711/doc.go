// Package g711 is ITU-T G.711 companding: PCMU (µ-law, RTP payload type 0)
// and PCMA (A-law, RTP payload type 8), the codecs every SIP phone and trunk
// offers. A G.711 byte is one sample at 8 kHz.
//
// Decoding maps each byte through a 256-entry table to 16-bit linear PCM
// (the G.711 reconstruction values, left-justified: µ-law spans ±32124,
// A-law ±32256). Encoding maps a 16-bit sample through a table indexed by its
// top 14 (µ-law) or 12 (A-law) bits, built from the G.711 decision levels.
// Both are allocation-free and keep no state, so one Law serves any number
// of streams.
//
// The tables are checked against ffmpeg's pcm_mulaw and pcm_alaw codecs in
// the tests (docs/codecs.md).
package g711
