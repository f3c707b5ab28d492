package cn

import (
	"errors"
	"fmt"
)

// ErrEmpty is returned for a comfort-noise payload without its level byte.
var ErrEmpty = errors.New("cn: empty comfort-noise payload")

// Noise is what a comfort-noise payload says.
type Noise struct {
	Level        uint8 // noise level in −dBov, 0…127 (the top bit of the byte is reserved and ignored)
	Coefficients int   // how many reflection coefficients follow (the spectral model), 0 if none
}

// Parse reads a comfort-noise payload.
func Parse(payload []byte) (Noise, error) {
	if len(payload) == 0 {
		return Noise{}, ErrEmpty
	}
	return Noise{Level: payload[0] & 0x7f, Coefficients: len(payload) - 1}, nil
}

// Append appends a payload carrying level (−dBov, 0…127) and no spectral
// model to b.
func Append(b []byte, level uint8) []byte { return append(b, level&0x7f) }

// String describes n, for logs.
func (n Noise) String() string {
	return fmt.Sprintf("comfort noise at -%d dBov, %d coefficients", n.Level, n.Coefficients)
}
