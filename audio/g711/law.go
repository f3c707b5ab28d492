package g711

import "fmt"

// Law is a G.711 companding law. Its value is the law's static RTP payload
// type (RFC 3551).
type Law uint8

// The two G.711 laws.
const (
	PCMU Law = 0 // µ-law, North America and Japan
	PCMA Law = 8 // A-law, the rest of the world
)

// String returns the law's RTP encoding name ("PCMU", "PCMA").
func (l Law) String() string {
	switch l {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return fmt.Sprintf("Law(%d)", uint8(l))
}

// Decode expands G.711 bytes from src into 16-bit samples in dst and returns
// how many it wrote: min(len(dst), len(src)). A Law other than PCMU or PCMA
// decodes nothing.
func (l Law) Decode(dst []int16, src []byte) int {
	var table *[256]int16
	switch l {
	case PCMU:
		table = &ulawDecode
	case PCMA:
		table = &alawDecode
	default:
		return 0
	}
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, b := range src {
		dst[i] = table[b]
	}
	return n
}

// Encode compresses 16-bit samples from src into G.711 bytes in dst and
// returns how many it wrote: min(len(dst), len(src)). A Law other than PCMU
// or PCMA encodes nothing.
func (l Law) Encode(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	switch l {
	case PCMU:
		for i, v := range src {
			dst[i] = ulawEncode[uint16(v)>>2]
		}
	case PCMA:
		for i, v := range src {
			dst[i] = alawEncode[uint16(v)>>4]
		}
	default:
		return 0
	}
	return n
}

// fillTables fills a law's decode table from its expander and its encode
// table, indexed by a sample's bits above the lowest shift ones, from its
// compressor.
func fillTables(decode *[256]int16, expand func(byte) int16, encode []byte, shift uint, compress func(int16) byte) {
	for c := range decode {
		decode[c] = expand(byte(c))
	}
	for i := range encode {
		encode[i] = compress(int16(uint16(i) << shift))
	}
}
