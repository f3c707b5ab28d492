package g722

// Tables of ITU-T G.722 (64 kbit/s mode), named as in the recommendation.

// qmfCoeffs are the transmit and receive QMF coefficients h(0)…h(11)
// (Table 11 of the recommendation; the filter is symmetric, h(23-i) = h(i)).
var qmfCoeffs = [12]int32{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}

// q6 are the low-band quantiser's decision levels for the 6-bit code, to be
// scaled by the step size (index 1…29; QUANTL).
var q6 = [30]int32{
	0, 35, 72, 110, 150, 190, 233, 276, 323, 370,
	422, 473, 530, 587, 650, 714, 786, 858, 940, 1023,
	1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
}

// qm6 are the low-band 6-bit inverse quantiser's outputs (Q15 of the step
// size), by code (INVQBL).
var qm6 = [64]int32{
	-136, -136, -136, -136, -24808, -21904, -19008, -16704,
	-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
	-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
	-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
	24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
	10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
	4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
	1688, 1360, 1040, 728, 432, 136, -432, -136,
}

// qm4 are the low-band 4-bit inverse quantiser's outputs, by the top four
// bits of the code (INVQAL): the predictor and step size adapt on these, so
// that 56 and 48 kbit/s decoders, which drop low bits, stay in step.
var qm4 = [16]int32{
	0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
	20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
}

// qm2 are the high-band 2-bit inverse quantiser's outputs (INVQAH).
var qm2 = [4]int32{-7408, -1616, 7408, 1616}

// wl is the low band's log step-size multiplier, by rl42 of the 4-bit code
// (LOGSCL); wh the high band's, by rh2 of the 2-bit code (LOGSCH).
var (
	wl   = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}
	rl42 = [16]uint8{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
	wh   = [3]int32{0, -214, 798}
	rh2  = [4]uint8{2, 1, 2, 1}
)

// ilb is the antilog table of the step-size computation (SCALEL, SCALEH):
// 2048·2^(i/32), as the recommendation rounds it.
var ilb = [32]int32{
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
	2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
	2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
}
