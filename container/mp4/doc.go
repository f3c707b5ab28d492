// Package mp4 writes fragmented MP4 files of one H.264 video track and one
// AAC audio track as the media arrives, and repairs such a file after a
// crash.
//
// The Writer holds the samples of the fragment being filled and writes a
// fragment (a moof box and its mdat) once both tracks have passed its end,
// every Config.FragmentFrames video frames (one second at ACS's 16 fps).
// The init segment (ftyp, moov) goes first, as soon as the first video
// access unit brings the SPS and PPS. A file cut anywhere therefore holds a
// playable MP4 up to its last whole fragment; Repair cuts it there.
//
// Both tracks count time at Timescale (16 kHz, the call clock's rate), so a
// video frame at 16 fps lasts exactly 1000 ticks and an AAC frame 1024. The
// AAC encoder's priming samples (Config.AudioDelay) are skipped by an edit
// list, so that audio sample 0 plays with video frame 0.
//
// The muxer is github.com/Eyevinn/mp4ff (MIT).
package mp4
