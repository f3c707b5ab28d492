package cn

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		payload []byte
		want    Noise
	}{
		{[]byte{40}, Noise{Level: 40}},
		{[]byte{0xc0, 1, 2, 3}, Noise{Level: 64, Coefficients: 3}}, // reserved bit ignored
		{Append(nil, 127), Noise{Level: 127}},
	} {
		got, err := Parse(tc.payload)
		if err != nil || got != tc.want {
			t.Errorf("% x: %+v, %v; want %+v", tc.payload, got, err, tc.want)
		}
	}
	if _, err := Parse(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty payload: %v", err)
	}
	if s := (Noise{Level: 40, Coefficients: 2}).String(); s != "comfort noise at -40 dBov, 2 coefficients" {
		t.Errorf("String: %q", s)
	}
}

// FuzzParse must never panic, and must read back what Append writes.
func FuzzParse(f *testing.F) {
	f.Add([]byte{40, 1, 2})
	f.Fuzz(func(t *testing.T, payload []byte) {
		n, err := Parse(payload)
		if err != nil {
			return
		}
		if again, _ := Parse(Append(nil, n.Level)); again.Level != n.Level {
			t.Fatalf("level %d came back as %d", n.Level, again.Level)
		}
	})
}
