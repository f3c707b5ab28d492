// Package video composites a call's video for mixed audioVideo recordings,
// as ACS does: a 1920×1080 canvas at 16 fps holding up to nine 640×360
// tiles (a 3×3 grid fills it exactly), the most active speakers by audio
// level, each with its display name; a participant without video has a
// grey placeholder tile with its name.
//
// Parts:
//
//   - decoder: one ffmpeg child process per participant with video
//     (VP8 as IVF, or H.264 Annex B, in on stdin; raw I420 tiles, scaled
//     and padded to 640×360, out on stdout). Each keeps the call-clock
//     positions of the frames in flight and gives them to the pictures in
//     order. Its queue never blocks the caller; a decoder that fails or
//     falls 64 frames behind is dropped and restarts at the next keyframe,
//     which it asks the sender for.
//   - Compositor: keeps each participant's latest pictures (one per output
//     frame: the latest before it, up to 8 s), and draws the canvas at a
//     call-clock position: each tile is the participant's latest picture
//     captured up to it.
//   - Layout: speaker activity (mean square, smoothed over 1.5 s) and the
//     choice of tiles. A participant keeps its tile and its place while it
//     has one; when more than nine are present, one without a tile takes
//     the tile of the least active only when it is twice as loud and that
//     tile has been shown for 3 s, so tiles do not jump on every word.
//     Tiles sit in rows of ceil(√n), centred, unscaled.
//   - Encoder: one ffmpeg child process (libx264, tune zerolatency, raw
//     I420 frames in, H.264 Annex B with access unit delimiters out).
//
// Names are drawn with X11's misc-fixed 7×13 font (public domain, from
// golang.org/x/image/font/basicfont) at twice its size. docs/video.md says
// why the codecs run in child processes.
package video
