package g722

// The recommendation's 16-bit fixed-point operators, on int32 values that
// hold 16-bit quantities.

// sat16 saturates x to the 16-bit range.
func sat16(x int32) int32 {
	return min(max(x, -32768), 32767)
}

// add is a saturating 16-bit addition.
func add(a, b int32) int32 { return sat16(a + b) }

// mult is the Q15 product of two 16-bit values, saturated.
func mult(a, b int32) int32 { return sat16((a * b) >> 15) }

// clamp limits x to [lo, hi].
func clamp(x, lo, hi int32) int32 { return min(max(x, lo), hi) }

// negative reports the sign bit of a 16-bit value, the recommendation's
// "sign" used to compare signs in the adaptation blocks.
func negative(x int32) bool { return x < 0 }
