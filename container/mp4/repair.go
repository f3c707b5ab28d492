package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/Eyevinn/mp4ff/bits"
	mp4ff "github.com/Eyevinn/mp4ff/mp4"
)

// Info is what Scan finds in a fragmented MP4 file.
type Info struct {
	Bytes       int64 // bytes up to the end of the last whole fragment
	Fragments   int   // whole fragments (moof and mdat)
	VideoFrames int64 // video samples in the whole fragments
	AudioFrames int64 // AAC frames in the whole fragments
	HasInit     bool  // ftyp and moov are whole
}

// AudioSamples returns the audio samples of the whole fragments.
func (i Info) AudioSamples() int64 { return i.AudioFrames * AACFrameSamples }

// Scan walks the top-level boxes of a fragmented MP4 file as Writer writes
// it (ftyp, moov, then moof and mdat pairs) and stops at the first box that
// is cut or out of place.
func Scan(r io.ReadSeeker) (Info, error) {
	var info Info
	var pos int64
	var pendingMoof *mp4ff.MoofBox
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return info, nil // end of data, or a cut header
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:])
		if size < 8 {
			return info, nil // 64-bit or to-the-end sizes are not written here
		}
		body := make([]byte, size-8)
		if _, err := io.ReadFull(r, body); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return info, nil
			}
			return info, fmt.Errorf("mp4: scan: %w", err)
		}
		end := pos + size
		switch typ {
		case "ftyp":
		case "moov":
			info.HasInit = true
			info.Bytes = end
		case "moof":
			if !info.HasInit {
				return info, nil
			}
			b, err := mp4ff.DecodeBoxSR(0, bits.NewFixedSliceReader(append(hdr[:], body...)))
			if err != nil {
				return info, nil
			}
			moof, ok := b.(*mp4ff.MoofBox)
			if !ok {
				return info, nil
			}
			pendingMoof = moof
		case "mdat":
			if pendingMoof == nil {
				return info, nil
			}
			for _, traf := range pendingMoof.Trafs {
				var n int64
				for _, trun := range traf.Truns {
					n += int64(trun.SampleCount())
				}
				switch traf.Tfhd.TrackID {
				case videoTrack:
					info.VideoFrames += n
				case audioTrack:
					info.AudioFrames += n
				}
			}
			pendingMoof = nil
			info.Fragments++
			info.Bytes = end
		default:
			return info, nil
		}
		pos = end
	}
}

// Repair makes the MP4 file at path whole after its writer stopped without
// Finalize (a crash): it cuts the file after its last whole fragment. A
// file without a whole init segment cannot be made playable: Repair
// truncates it to nothing and says so with ErrNoInit.
func Repair(path string) (Info, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Info{}, fmt.Errorf("mp4: repair: %w", err)
	}
	defer f.Close()
	info, err := Scan(f)
	if err != nil {
		return info, fmt.Errorf("mp4: repair %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return info, fmt.Errorf("mp4: repair: %w", err)
	}
	if st.Size() != info.Bytes {
		if err := f.Truncate(info.Bytes); err != nil {
			return info, fmt.Errorf("mp4: repair: truncate: %w", err)
		}
		if err := f.Sync(); err != nil {
			return info, fmt.Errorf("mp4: repair: %w", err)
		}
	}
	if !info.HasInit {
		return info, ErrNoInit
	}
	return info, nil
}

// ErrNoInit says that a file holds no whole init segment.
var ErrNoInit = errors.New("mp4: the file has no init segment")
