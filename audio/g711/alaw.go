package g711

// A-law tables, built once from the G.711 formulas (Tables 1a/1b of the
// recommendation): a code is a sign bit, a 3-bit segment and a 4-bit step,
// transmitted with the even bits inverted (XOR 0x55).
var (
	alawDecode [256]int16
	alawEncode [1 << 12]byte // indexed by the sample's top 12 bits (as uint16 >> 4)
)

func init() { fillTables(&alawDecode, alawExpand, alawEncode[:], 4, alawCompress) }

// alawExpand is the G.711 A-law decoder for one code: the reconstruction
// value in the middle of the code's step, in 13-bit units, left-justified.
func alawExpand(c byte) int16 {
	a := c ^ 0x55
	seg, step := int(a>>4)&7, int(a)&15
	mag := 2*step + 1
	if seg > 0 {
		mag = (2*step + 33) << (seg - 1)
	}
	v := int16(mag << 3)
	if a&0x80 == 0 {
		return -v
	}
	return v
}

// alawCompress is the G.711 A-law encoder for one sample: the 12-bit
// magnitude (ones' complement for negative samples), its segment from how
// far it must be halved to fit in 5 bits, its step from the 4 bits below the
// leading one.
func alawCompress(x int16) byte {
	mag, sign := int(x)>>4, byte(0x80)
	if x < 0 {
		mag, sign = int(^x)>>4, 0
	}
	code := mag // segment 0: the step is the magnitude
	if mag > 15 {
		seg := 1
		for mag > 31 {
			mag >>= 1
			seg++
		}
		code = seg<<4 | (mag - 16)
	}
	return (sign | byte(code)) ^ 0x55
}
