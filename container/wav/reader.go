package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Info is what a WAV header says, and where its samples are.
type Info struct {
	Format
	Extensible bool  // the fmt chunk is WAVE_FORMAT_EXTENSIBLE
	DataOffset int64 // offset of the first sample byte
	DataBytes  int64 // size of the data chunk as declared
	RIFFSize   int64 // the RIFF size field
}

// Frames returns the number of sample frames in the data chunk.
func (i Info) Frames() int64 { return i.DataBytes / int64(i.BlockAlign()) }

// ReadInfo parses the header of a 16-bit PCM WAV file up to the start of its
// data chunk.
func ReadInfo(r io.Reader) (Info, error) {
	var info Info
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return info, fmt.Errorf("wav: read RIFF header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return info, errors.New("wav: not a RIFF/WAVE file")
	}
	le := binary.LittleEndian
	info.RIFFSize = int64(le.Uint32(hdr[4:]))
	off := int64(12)
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return info, fmt.Errorf("wav: no data chunk: %w", err)
		}
		off += 8
		size := int64(le.Uint32(ch[4:]))
		switch string(ch[0:4]) {
		case "fmt ":
			if size < 16 || size > 1024 {
				return info, fmt.Errorf("wav: fmt chunk of %d bytes", size)
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				return info, fmt.Errorf("wav: read fmt: %w", err)
			}
			off += int64(len(b))
			if err := info.parseFmt(b[:size]); err != nil {
				return info, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return info, errors.New("wav: data chunk before fmt chunk")
			}
			info.DataOffset = off
			info.DataBytes = size
			return info, nil
		default:
			skip := size + size%2
			if _, err := io.CopyN(io.Discard, r, skip); err != nil {
				return info, fmt.Errorf("wav: skip %q chunk: %w", ch[0:4], err)
			}
			off += skip
		}
	}
}

func (info *Info) parseFmt(b []byte) error {
	le := binary.LittleEndian
	tag := le.Uint16(b[0:])
	info.Channels = int(le.Uint16(b[2:]))
	info.SampleRate = int(le.Uint32(b[4:]))
	bits := le.Uint16(b[14:])
	switch tag {
	case formatPCM:
	case formatExtensible:
		if len(b) < 40 || !bytes.Equal(b[24:40], pcmSubFormat[:]) {
			return errors.New("wav: WAVE_FORMAT_EXTENSIBLE without the PCM sub-format")
		}
		info.Extensible = true
	default:
		return fmt.Errorf("wav: format tag 0x%04x is not PCM", tag)
	}
	if bits != 16 {
		return fmt.Errorf("wav: %d bits per sample, want 16", bits)
	}
	if int(le.Uint16(b[12:])) != 2*info.Channels || info.Channels == 0 {
		return errors.New("wav: block align does not match 16-bit samples")
	}
	return nil
}

// Audio is a whole WAV file decoded: one slice of samples per channel.
type Audio struct {
	Info
	Channels [][]int16
}

// Read decodes a whole WAV file. It rejects files whose data chunk is shorter
// than declared.
func Read(r io.Reader) (*Audio, error) {
	info, err := ReadInfo(r)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(r, info.DataBytes))
	if err != nil {
		return nil, fmt.Errorf("wav: read data: %w", err)
	}
	if int64(len(raw)) != info.DataBytes {
		return nil, fmt.Errorf("wav: data chunk has %d of its %d declared bytes", len(raw), info.DataBytes)
	}
	a := &Audio{Info: info, Channels: make([][]int16, info.Format.Channels)}
	n := info.Frames()
	for c := range a.Channels {
		a.Channels[c] = make([]int16, n)
	}
	nc := info.Format.Channels
	for i := int64(0); i < n; i++ {
		for c := 0; c < nc; c++ {
			p := 2 * (i*int64(nc) + int64(c))
			a.Channels[c][i] = int16(binary.LittleEndian.Uint16(raw[p:]))
		}
	}
	return a, nil
}
