package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// PCM is interleaved 16-bit audio with its format.
type PCM struct {
	Rate     int
	Channels int
	Samples  []int16 // interleaved
}

// Mono returns p's samples mixed down to one channel (averaged).
func (p PCM) Mono() []int16 {
	if p.Channels <= 1 {
		return p.Samples
	}
	out := make([]int16, len(p.Samples)/p.Channels)
	for i := range out {
		var sum int
		for c := 0; c < p.Channels; c++ {
			sum += int(p.Samples[i*p.Channels+c])
		}
		out[i] = int16(sum / p.Channels)
	}
	return out
}

// WriteWAV writes p as a canonical 16-bit PCM WAV file.
func WriteWAV(w io.Writer, p PCM) error {
	if p.Rate <= 0 || p.Channels <= 0 {
		return fmt.Errorf("wav: invalid format %d Hz × %d channels", p.Rate, p.Channels)
	}
	dataLen := uint32(len(p.Samples) * 2)
	bw := bufio.NewWriter(w)
	header := struct {
		Riff          [4]byte
		Size          uint32
		Wave          [4]byte
		Fmt           [4]byte
		FmtSize       uint32
		Format        uint16
		Channels      uint16
		Rate          uint32
		ByteRate      uint32
		BlockAlign    uint16
		BitsPerSample uint16
		Data          [4]byte
		DataSize      uint32
	}{
		[4]byte{'R', 'I', 'F', 'F'}, 36 + dataLen, [4]byte{'W', 'A', 'V', 'E'},
		[4]byte{'f', 'm', 't', ' '}, 16, 1, uint16(p.Channels), uint32(p.Rate),
		uint32(p.Rate * p.Channels * 2), uint16(p.Channels * 2), 16,
		[4]byte{'d', 'a', 't', 'a'}, dataLen,
	}
	if err := binary.Write(bw, binary.LittleEndian, header); err != nil {
		return err
	}
	if err := binary.Write(bw, binary.LittleEndian, p.Samples); err != nil {
		return err
	}
	return bw.Flush()
}

// ReadWAV reads a 16-bit PCM WAV file (WAVE_FORMAT_PCM or EXTENSIBLE with
// PCM). Chunks other than fmt and data are skipped. A data chunk whose
// declared size runs past the end (a streaming writer's header) is read to
// the end.
func ReadWAV(r io.Reader) (PCM, error) {
	br := bufio.NewReader(r)
	var riff [12]byte
	if _, err := io.ReadFull(br, riff[:]); err != nil {
		return PCM{}, fmt.Errorf("wav: header: %w", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return PCM{}, errors.New("wav: not a RIFF/WAVE file")
	}
	var p PCM
	haveFmt := false
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return PCM{}, fmt.Errorf("wav: no data chunk: %w", err)
		}
		id, size := string(hdr[0:4]), binary.LittleEndian.Uint32(hdr[4:8])
		switch id {
		case "fmt ":
			if size < 16 || size > 1<<10 {
				return PCM{}, fmt.Errorf("wav: fmt chunk of %d bytes", size)
			}
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(br, buf); err != nil {
				return PCM{}, fmt.Errorf("wav: fmt: %w", err)
			}
			format := binary.LittleEndian.Uint16(buf[0:2])
			p.Channels = int(binary.LittleEndian.Uint16(buf[2:4]))
			p.Rate = int(binary.LittleEndian.Uint32(buf[4:8]))
			bits := binary.LittleEndian.Uint16(buf[14:16])
			if format == 0xFFFE && size >= 26 {
				format = binary.LittleEndian.Uint16(buf[24:26])
			}
			if format != 1 || bits != 16 || p.Channels < 1 || p.Rate < 1 {
				return PCM{}, fmt.Errorf("wav: only 16-bit PCM is supported (format %d, %d bits)", format, bits)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return PCM{}, errors.New("wav: data chunk before fmt chunk")
			}
			data, err := io.ReadAll(io.LimitReader(br, int64(size)))
			if err != nil {
				return PCM{}, fmt.Errorf("wav: data: %w", err)
			}
			p.Samples = make([]int16, len(data)/2)
			for i := range p.Samples {
				p.Samples[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
			}
			return p, nil
		default:
			if _, err := br.Discard(int(size + size%2)); err != nil {
				return PCM{}, fmt.Errorf("wav: chunk %q: %w", id, err)
			}
		}
	}
}
