// Package wav writes 16-bit PCM WAV files as audio arrives and reads them
// back.
//
// The Writer streams samples after a header whose sizes are placeholders, and
// patches the RIFF and data sizes when it is finalized. Files with more than
// two channels use a WAVE_FORMAT_EXTENSIBLE header (channel mask 0: channels
// are not speaker positions), as Microsoft's WAV rules require. Repair turns a
// file whose writer never finalized it (a crash) into a valid WAV holding every
// whole sample frame that reached the disk. Read parses PCM and EXTENSIBLE
// files of any chunk order, for tests and tools.
package wav
