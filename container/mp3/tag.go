package mp3

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Tag is what a LAME/Xing "Info" (constant bit rate) or "Xing" (variable bit
// rate) tag in a file's first frame says. The tag frame holds no audio.
type Tag struct {
	Frames  int64 // audio frames after the tag frame; -1 when absent
	Bytes   int64 // bytes of the whole file; -1 when absent
	Encoder string
	Delay   int // encoder delay in samples (decoders add their own 529)
	Padding int // samples of padding at the end
	HasLAME bool
}

// Samples is the number of audio samples the tag says a decoder should
// output once it drops the delay and the padding, or -1 when unknown.
func (t Tag) Samples(samplesPerFrame int) int64 {
	if t.Frames < 0 || !t.HasLAME {
		return -1
	}
	return t.Frames*int64(samplesPerFrame) - int64(t.Delay) - int64(t.Padding)
}

// Xing header flags.
const (
	xingFrames  = 1
	xingBytes   = 2
	xingTOC     = 4
	xingQuality = 8
)

// lameExtSize is the size of the LAME extension after the Xing fields.
const lameExtSize = 36

// ParseTag parses the Xing/Info tag (and LAME extension) in frame, the whole
// first frame of a file. It returns ok false when the frame carries no tag.
func ParseTag(frame []byte) (t Tag, ok bool, err error) {
	h, err := ParseHeader(frame)
	if err != nil {
		return t, false, err
	}
	if len(frame) < h.Size {
		return t, false, fmt.Errorf("mp3: tag frame has %d of its %d bytes", len(frame), h.Size)
	}
	b := frame[h.dataOffset():h.Size]
	if len(b) < 8 || (string(b[:4]) != "Info" && string(b[:4]) != "Xing") {
		return t, false, nil
	}
	be := binary.BigEndian
	flags := be.Uint32(b[4:])
	b = b[8:]
	t.Frames, t.Bytes = -1, -1
	field := func(n int) ([]byte, error) {
		if len(b) < n {
			return nil, errors.New("mp3: Xing tag is cut short")
		}
		f := b[:n]
		b = b[n:]
		return f, nil
	}
	if flags&xingFrames != 0 {
		f, err := field(4)
		if err != nil {
			return t, false, err
		}
		t.Frames = int64(be.Uint32(f))
	}
	if flags&xingBytes != 0 {
		f, err := field(4)
		if err != nil {
			return t, false, err
		}
		t.Bytes = int64(be.Uint32(f))
	}
	if flags&xingTOC != 0 {
		if _, err := field(100); err != nil {
			return t, false, err
		}
	}
	if flags&xingQuality != 0 {
		if _, err := field(4); err != nil {
			return t, false, err
		}
	}
	if len(b) < lameExtSize {
		return t, true, nil
	}
	enc := string(b[:4])
	if enc != "LAME" && enc != "Lavf" && enc != "Lavc" {
		return t, true, nil
	}
	t.HasLAME = true
	t.Encoder = trimZero(b[:9])
	dp := b[21:24]
	t.Delay = int(dp[0])<<4 | int(dp[1])>>4
	t.Padding = int(dp[1]&0x0F)<<8 | int(dp[2])
	return t, true, nil
}

func trimZero(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// frameHeader is the header this package's frames start with: MPEG-2
// Layer III without CRC, 48 kbps, 16 kHz, no padding, mono, original.
var frameHeader = [4]byte{0xFF, 0xF3, 0x68, 0xC4}

// placeholderFrame returns the frame written first and overwritten by the
// tag at finalization: a valid frame that decodes to silence.
func placeholderFrame() []byte {
	b := make([]byte, FrameBytes)
	copy(b, frameHeader[:])
	return b
}

// buildTag returns an Info tag frame, with a LAME extension, for a file of
// frames audio frames after the tag frame, fileBytes bytes in all (the tag
// frame included), the given encoder delay and samples of input.
func buildTag(frames, fileBytes int64, delay int, samples int64) ([]byte, error) {
	padding := frames*SamplesPerFrame - int64(delay) - samples
	if padding < 0 || padding > 4095 || delay < 0 || delay > 4095 {
		return nil, fmt.Errorf("mp3: %d frames cannot hold %d samples after a delay of %d", frames, samples, delay)
	}
	if frames > 1<<32-1 || fileBytes > 1<<32-1 {
		return nil, errors.New("mp3: file too large for an Info tag")
	}
	f := placeholderFrame()
	h, _ := ParseHeader(f)
	b := f[h.dataOffset():]
	be := binary.BigEndian
	copy(b, "Info")
	be.PutUint32(b[4:], xingFrames|xingBytes|xingTOC)
	be.PutUint32(b[8:], uint32(frames))
	be.PutUint32(b[12:], uint32(fileBytes))
	for i := range 100 { // constant bit rate: position is proportional to time
		b[16+i] = byte(i * 256 / 100)
	}
	ext := b[116:]
	copy(ext, "LAME3.100")
	// ext[9]: tag revision 0, method 1 (constant bit rate).
	ext[9] = 0x01
	ext[19] = BitRate / 1000
	ext[21] = byte(delay >> 4)
	ext[22] = byte(delay<<4) | byte(padding>>8)
	ext[23] = byte(padding)
	// ext[28:32]: music length, ext[32:34]: music CRC (0: not computed).
	be.PutUint32(ext[28:], uint32(fileBytes))
	crcAt := h.dataOffset() + 116 + 34
	be.PutUint16(f[crcAt:], crc16(f[:crcAt]))
	return f, nil
}

// crc16 is the CRC-16 (polynomial 0x8005, reflected, initial 0) that the
// LAME tag ends with, over the tag frame's bytes before it.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
