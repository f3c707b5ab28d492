// Package resample converts telephone audio from 8 kHz to 16 kHz, the rate
// callrec records at, so that G.711 legs mix and record beside wideband
// ones.
//
// Doubling the rate means putting a sample between every two, then removing
// the image of the 0–4 kHz band that this creates at 4–8 kHz (a 3 kHz tone
// would otherwise come back with a 5 kHz one beside it). The Upsampler does
// it with a half-band low-pass FIR (Kaiser-windowed sinc, 63 taps, cut-off
// at 4 kHz): flat to 3.4 kHz, the top of the telephone band, 68 dB down at
// 4.6 kHz and more beyond. A half-band filter has every other coefficient
// zero, so in polyphase form one output phase is the input itself, delayed,
// and the other a 32-tap symmetric FIR: 16 multiplies per input sample.
//
// An Upsampler keeps the last 31 input samples between calls, so a stream
// cut into 20 ms frames comes out exactly as if it were resampled in one
// piece: no clicks at frame boundaries. It allocates nothing after
// construction and is not safe for concurrent use; keep one per stream.
// Its delay is Delay samples at 16 kHz (about 1.9 ms).
package resample
