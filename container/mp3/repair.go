package mp3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// Info is what a scan of an MP3 file finds.
type Info struct {
	Frames  int64 // whole audio frames, the tag frame excluded
	Bytes   int64 // bytes up to the end of the last whole frame
	Tag     Tag   // valid when Tagged
	Tagged  bool  // the first frame is an Info/Xing tag
	Samples int64 // samples a decoder outputs: exact with a LAME tag, else Frames × 576
}

// Scan walks the frames of an MP3 stream from its first byte (this package
// writes no ID3 tag) and stops at the end of the data or at the first byte
// that does not start a whole frame.
func Scan(r io.Reader) (Info, error) {
	var info Info
	br := bufio.NewReaderSize(r, 8<<10)
	frame := make([]byte, 0, 2048)
	spf := 0
	for first := true; ; first = false {
		hdr, err := br.Peek(4)
		if err != nil {
			break // end of data, or a cut header
		}
		h, err := ParseHeader(hdr)
		if err != nil {
			if first {
				return info, err
			}
			break
		}
		if spf == 0 {
			spf = h.SamplesPerFrame
		}
		frame = frame[:h.Size]
		if _, err := io.ReadFull(br, frame); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				break // a cut frame
			}
			return info, fmt.Errorf("mp3: scan: %w", err)
		}
		info.Bytes += int64(h.Size)
		if first {
			t, ok, err := ParseTag(frame)
			if err == nil && ok {
				info.Tag, info.Tagged = t, true
				continue
			}
		}
		info.Frames++
	}
	info.Samples = info.Frames * int64(spf)
	if info.Tagged {
		if n := info.Tag.Samples(spf); n >= 0 && info.Tag.Frames == info.Frames {
			info.Samples = n
		}
	}
	return info, nil
}

// Repair makes the MP3 file at path whole after its writer stopped without
// Finalize (a crash): it cuts the file after its last whole frame. The first
// frame stays the placeholder the tag would have replaced, so players play
// the encoder delay and estimate the length from the bit rate. A file that
// ends on a frame boundary (a finalized one) is left as it is.
func Repair(path string) (Info, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Info{}, fmt.Errorf("mp3: repair: %w", err)
	}
	defer f.Close()
	info, err := Scan(f)
	if err != nil {
		return info, fmt.Errorf("mp3: repair %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return info, fmt.Errorf("mp3: repair: %w", err)
	}
	if st.Size() == info.Bytes {
		return info, nil
	}
	if err := f.Truncate(info.Bytes); err != nil {
		return info, fmt.Errorf("mp3: repair: truncate: %w", err)
	}
	return info, f.Sync()
}
