// Package plc conceals lost packets of codecs that have no concealment of
// their own (G.711, G.722): it fills the gap by repeating the last pitch
// period of the audio before it, in the manner of ITU-T G.711 Appendix I,
// so that a lost 20 ms packet in a voiced sound is heard as a slight blur
// rather than a click and a hole.
//
// A Concealer sits after the decoder, one per stream. Good frames pass
// through Good, which remembers the recent audio and, after a gap, blends
// the start of the frame with the continuation of the made-up signal so
// that the resumption does not click. Conceal fills a lost frame:
//
//   - the pitch period (5 to 15 ms) is found by the normalised
//     autocorrelation of the last 20 ms with the audio before it;
//   - the gap is filled by repeating the last period (from 10 ms into the
//     gap, the last two, from 20 ms the last three, as Appendix I does, so
//     that a long gap does not buzz), joined to what came before by a short
//     cross-fade;
//   - from 10 ms into the gap the level falls by 20 % per 10 ms, reaching
//     silence 60 ms in: longer gaps are silence.
//
// Unlike Appendix I, nothing is delayed: the output of Good is its input
// except where it blends after a gap. The Concealer allocates nothing after
// construction and is not safe for concurrent use.
package plc
