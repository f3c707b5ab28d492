// Package g722 is ITU-T G.722 at 64 kbit/s (mode 1): 16 kHz wideband audio
// coded as sub-band ADPCM, one byte per pair of samples. SIP phones offer it
// as RTP payload type 9, on an 8000 Hz RTP clock although the audio is
// 16 kHz (RFC 3551), so a 20 ms packet is 160 bytes that decode to 320
// samples and advance the timestamp by 160.
//
// The coder follows the recommendation's block diagram, one concept per
// file: a quadrature mirror filter splits the signal into a low band (0–4 kHz,
// quantised with 6 bits) and a high band (4–8 kHz, 2 bits), sampled at 8 kHz
// each (qmf.go); each band is an adaptive differential quantiser whose
// predictor (two poles, six zeros) and step size adapt to the decoded signal
// (band.go), so that encoder and decoder stay in step without side
// information. Arithmetic is the recommendation's 16-bit fixed point with
// saturation, so the output is bit-exact.
//
// A Decoder and an Encoder each hold one stream's state (a few hundred
// bytes) and allocate nothing per frame. They are not safe for concurrent
// use. A lost packet is not concealed here: the caller decides whether to
// feed silence or repeat audio; the adaptive state then recovers within a
// few milliseconds.
//
// The decoder is checked bit-exact against ffmpeg's G.722 decoder, and the
// encoder against ffmpeg's encoder (docs/codecs.md).
package g722
