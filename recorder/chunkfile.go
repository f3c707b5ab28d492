package recorder

import (
	"fmt"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio/aac"
	"github.com/callrec/callrec/container/mp3"
	"github.com/callrec/callrec/container/wav"
)

// chunkWriter is what a chunk's file is written with: container/wav's or
// container/mp3's Writer, or an avWriter (MP4), by the recording's format.
type chunkWriter interface {
	Write(samples []int16) error
	WriteSilence(frames int64) error
	Frames() int64
	Sync() error
	Finalize() error
}

// chunkFormat is a recording format as the recorder writes, repairs and
// publishes it.
type chunkFormat struct {
	ext         string // file name extension of spool files and blob keys
	part        string // the content part that serves it: callrec.PartAudio or PartVideo
	contentType string
	// bitRate in bits per second of nch channels, for the metadata.
	bitRate func(nch int) int
	// bytesPerSecond bounds a chunk's size by its duration.
	bytesPerSecond func(nch int) int64
	headerBytes    func(nch int) int64
	create         func(f *spoolFile, c *chunker) (chunkWriter, error)
	// repair makes a crashed file valid and returns the samples (per
	// channel) a decoder outputs.
	repair func(path string) (int64, error)
}

var (
	wavChunks = chunkFormat{
		ext: "wav", part: callrec.PartAudio, contentType: "audio/wav",
		bitRate:        func(nch int) int { return callrec.SampleRate * 16 * nch },
		bytesPerSecond: func(nch int) int64 { return int64(wavFormat(nch).ByteRate()) },
		headerBytes:    func(nch int) int64 { return int64(wavFormat(nch).HeaderSize()) },
		create: func(f *spoolFile, c *chunker) (chunkWriter, error) {
			return wav.NewWriter(f, wavFormat(c.channels))
		},
		repair: func(path string) (int64, error) {
			info, err := wav.Repair(path)
			return info.Frames(), err
		},
	}
	mp3Chunks = chunkFormat{
		ext: "mp3", part: callrec.PartAudio, contentType: "audio/mpeg",
		bitRate:        func(int) int { return mp3.BitRate },
		bytesPerSecond: func(int) int64 { return mp3.BitRate / 8 },
		headerBytes:    func(int) int64 { return mp3.FrameBytes },
		create: func(f *spoolFile, _ *chunker) (chunkWriter, error) {
			return mp3.NewWriter(f)
		},
		repair: func(path string) (int64, error) {
			info, err := mp3.Repair(path)
			return info.Samples, err
		},
	}
	mp4Chunks = chunkFormat{
		ext: "mp4", part: callrec.PartVideo, contentType: "video/mp4",
		bitRate: func(int) int { return aac.BitRate },
		// x264 keeps to 1 Mbps over its 2 Mbit buffer; AAC and the
		// boxes add to it, and this bound has room for both.
		bytesPerSecond: func(int) int64 { return 150_000 },
		headerBytes:    func(int) int64 { return 4096 },
		create: func(f *spoolFile, c *chunker) (chunkWriter, error) {
			return newAVWriter(f, c.s.video, c.s.tl.inPause)
		},
		repair: repairMP4,
	}
	// chunkFormats lists every format; content and retention look for a
	// document's media under each extension.
	chunkFormats = []chunkFormat{wavChunks, mp3Chunks, mp4Chunks}
)

func wavFormat(nch int) wav.Format { return wav.Format{SampleRate: callrec.SampleRate, Channels: nch} }

// formatOf returns how recordings of format f are written.
func formatOf(f callrec.RecordingFormat) (chunkFormat, error) {
	switch f {
	case callrec.FormatWav:
		return wavChunks, nil
	case callrec.FormatMp3:
		return mp3Chunks, nil
	case callrec.FormatMp4:
		return mp4Chunks, nil
	}
	return chunkFormat{}, fmt.Errorf("recorder: no writer for format %q", f)
}

// abandoner is a chunkWriter that holds resources beyond its file (the MP3
// encoder).
type abandoner interface{ Close() error }

// abandon releases a chunk writer that will not be finalized: the file stays
// in the spool for recovery.
func abandon(w chunkWriter) {
	if a, ok := w.(abandoner); ok {
		a.Close()
	}
}
