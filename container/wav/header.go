package wav

import (
	"encoding/binary"
	"fmt"
)

// Format codes of the fmt chunk.
const (
	formatPCM        = 0x0001
	formatExtensible = 0xFFFE
)

// MaxDataBytes is the largest data chunk a RIFF file can describe: the RIFF
// size field is 32 bits and counts everything after the first 8 bytes.
const MaxDataBytes = 1<<32 - 1 - 68

// pcmSubFormat is KSDATAFORMAT_SUBTYPE_PCM, 00000001-0000-0010-8000-00aa00389b71.
var pcmSubFormat = [16]byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}

// Format describes 16-bit PCM audio.
type Format struct {
	SampleRate int
	Channels   int
}

// BlockAlign is the size in bytes of one sample frame (all channels).
func (f Format) BlockAlign() int { return 2 * f.Channels }

// ByteRate is the data rate in bytes per second.
func (f Format) ByteRate() int { return f.SampleRate * f.BlockAlign() }

// Extensible reports whether the format needs WAVE_FORMAT_EXTENSIBLE.
func (f Format) Extensible() bool { return f.Channels > 2 }

// HeaderSize is the size of the header Writer writes before the samples:
// 44 bytes for PCM, 68 bytes for WAVE_FORMAT_EXTENSIBLE.
func (f Format) HeaderSize() int {
	if f.Extensible() {
		return 68
	}
	return 44
}

func (f Format) validate() error {
	if f.Channels < 1 || f.Channels > 64 {
		return fmt.Errorf("wav: %d channels is out of range 1..64", f.Channels)
	}
	if f.SampleRate < 1 {
		return fmt.Errorf("wav: sample rate %d is not positive", f.SampleRate)
	}
	return nil
}

// Header returns the header of a file with dataBytes bytes of samples.
func (f Format) Header(dataBytes uint32) []byte {
	h := make([]byte, f.HeaderSize())
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(len(h)-8)+dataBytes)
	copy(h[8:], "WAVE")
	copy(h[12:], "fmt ")
	fmtSize := 16
	tag := uint16(formatPCM)
	if f.Extensible() {
		fmtSize = 40
		tag = formatExtensible
	}
	le.PutUint32(h[16:], uint32(fmtSize))
	le.PutUint16(h[20:], tag)
	le.PutUint16(h[22:], uint16(f.Channels))
	le.PutUint32(h[24:], uint32(f.SampleRate))
	le.PutUint32(h[28:], uint32(f.ByteRate()))
	le.PutUint16(h[32:], uint16(f.BlockAlign()))
	le.PutUint16(h[34:], 16)
	off := 36
	if f.Extensible() {
		le.PutUint16(h[36:], 22) // cbSize
		le.PutUint16(h[38:], 16) // valid bits per sample
		le.PutUint32(h[40:], 0)  // channel mask: no speaker positions
		copy(h[44:], pcmSubFormat[:])
		off = 60
	}
	copy(h[off:], "data")
	le.PutUint32(h[off+4:], dataBytes)
	return h
}
