// Package simulate is a pure-Go WebRTC participant for callrec: it joins a
// call over WHIP with a join token, streams a source (a tone, silence or a
// WAV file) as Opus, optionally with random loss and jitter, and leaves at
// the end. Tests, demos, benchmarks and `callrec simulate` use it.
//
// Sources are encoded once per process and their packets replayed, so many
// simulated participants cost little more than their transport.
package simulate
