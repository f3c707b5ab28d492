package dtmf

import (
	"errors"
	"testing"
)

func TestParseReadsEveryField(t *testing.T) {
	for _, tc := range []struct {
		payload []byte
		want    Event
	}{
		{[]byte{0x05, 0x8a, 0x03, 0x20}, Event{Code: 5, End: true, Volume: 10, Duration: 800}},
		{[]byte{0x0b, 0x4a, 0x00, 0xa0}, Event{Code: 11, Volume: 10, Duration: 160}}, // R bit ignored
		{[]byte{0x10, 0xff, 0xff, 0xff}, Event{Code: 16, End: true, Volume: 63, Duration: 65535}},
	} {
		got, err := Parse(tc.payload)
		if err != nil || got != tc.want {
			t.Errorf("% x: %+v, %v; want %+v", tc.payload, got, err, tc.want)
		}
	}
}

func TestParseRejectsPartialBlocks(t *testing.T) {
	for _, n := range []int{0, 1, 3, 5, 7} {
		if _, err := Parse(make([]byte, n)); !errors.Is(err, ErrPayload) {
			t.Errorf("%d bytes: %v", n, err)
		}
		if _, err := AppendEvents(nil, make([]byte, n)); !errors.Is(err, ErrPayload) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}

func TestAppendThenParseGivesTheEventBack(t *testing.T) {
	var payload []byte
	var want []Event
	for code := range 256 {
		e := Event{Code: uint8(code), End: code%2 == 0, Volume: uint8(code % 64), Duration: uint16(code * 257)}
		want = append(want, e)
		payload = e.Append(payload)
	}
	got, err := AppendEvents(nil, payload)
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d events, %v", len(got), err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestKeys(t *testing.T) {
	var got []byte
	for code := range uint8(17) {
		got = append(got, Event{Code: code}.Key())
	}
	if string(got) != "0123456789*#ABCD!" {
		t.Errorf("keys %q", got)
	}
	if k := (Event{Code: 17}).Key(); k != 0 {
		t.Errorf("event 17 is key %q", k)
	}
	if s := (Event{Code: 11, End: true, Volume: 10, Duration: 800}).String(); s != "key #, -10 dBm0, duration 800, end" {
		t.Errorf("String: %q", s)
	}
	if s := (Event{Code: 70, Duration: 160}).String(); s != "event 70, -0 dBm0, duration 160" {
		t.Errorf("String: %q", s)
	}
}
