// Package mp3 writes MP3 files as audio arrives, in the format Azure
// Communication Services records mixed audio to: 16 kHz mono, 48 kbps
// constant bit rate (MPEG-2 Layer III), and repairs files cut by a crash.
//
// Samples are encoded with LAME. A binary built with cgo links libmp3lame
// (LGPL-2+, linked as a shared library; Debian package libmp3lame-dev to
// build, libmp3lame0 to run); one built without cgo runs an ffmpeg child
// process (`-c:a libmp3lame`) instead. Encoder names the one in use.
//
// The first frame of a file is a placeholder for the LAME/Xing "Info" tag.
// Finalize writes the tag over it: the number of frames and bytes, and the
// encoder delay and end padding, so that players know the exact length and
// decoders drop the delay (gapless playback). With libmp3lame the tag is
// LAME's own (lame_get_lametag_frame); with ffmpeg it is built here.
//
// A file whose writer never finalized it (kill -9) is still a playable MP3:
// every frame stands on its own. Repair cuts it after its last whole frame.
// Its first frame stays the placeholder, which decoders play as 24 ms of
// silence (or skip); without the tag the encoder delay (1105 samples, 69 ms)
// is not removed and players estimate the length from the bit rate, which for
// constant bit rate is exact to a frame.
package mp3
