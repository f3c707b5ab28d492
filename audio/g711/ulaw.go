package g711

import "math/bits"

// µ-law tables, built once from the G.711 formulas (Tables 2a/2b of the
// recommendation): a code is a sign bit and a 3-bit segment and 4-bit step,
// all transmitted inverted.
var (
	ulawDecode [256]int16
	ulawEncode [1 << 14]byte // indexed by the sample's top 14 bits (as uint16 >> 2)
)

// ulawBias is added to a 14-bit magnitude so that each segment starts at a
// power of two.
const ulawBias = 33

func init() { fillTables(&ulawDecode, ulawExpand, ulawEncode[:], 2, ulawCompress) }

// ulawExpand is the G.711 µ-law decoder for one code: the reconstruction
// value in the middle of the code's step, in 14-bit units, left-justified.
func ulawExpand(c byte) int16 {
	u := ^c
	seg, step := int(u>>4)&7, int(u)&15
	v := int16((((2*step + ulawBias) << seg) - ulawBias) << 2)
	if u&0x80 != 0 {
		return -v
	}
	return v
}

// ulawCompress is the G.711 µ-law encoder for one sample: the 14-bit
// magnitude (ones' complement for negative samples, so that the quantiser is
// symmetric) plus the bias, its segment from the bit length and its step
// from the four bits below the leading one.
func ulawCompress(x int16) byte {
	mag, sign := int(x)>>2, byte(0x80)
	if x < 0 {
		mag, sign = int(^x)>>2, 0
	}
	mag = min(mag+ulawBias, 1<<13-1)
	seg := bits.Len(uint(mag)) - 6 // mag is in [32<<seg, 64<<seg)
	step := (mag >> (seg + 1)) & 15
	return sign | (0x7f ^ byte(seg<<4|step))
}
