package dtmf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BlockSize is the size of one event block in a payload.
const BlockSize = 4

// ErrPayload is returned for a payload that is empty or not a whole number
// of 4-byte blocks.
var ErrPayload = errors.New("dtmf: telephone-event payload is not a whole number of 4-byte blocks")

// Event is one telephone-event block.
type Event struct {
	Code     uint8  // 0–9 digits, 10 '*', 11 '#', 12–15 'A'–'D', 16 flash; others are tones (RFC 4734)
	End      bool   // the last packet(s) of the event
	Volume   uint8  // power level, 0 to 63 in −dBm0 (0 is loudest)
	Duration uint16 // since the event began, in RTP timestamp units (1/8000 s)
}

// Parse reads the first block of payload. A payload of several blocks
// carries earlier events first (see AppendEvents).
func Parse(payload []byte) (Event, error) {
	if len(payload) < BlockSize || len(payload)%BlockSize != 0 {
		return Event{}, fmt.Errorf("%w: %d bytes", ErrPayload, len(payload))
	}
	return Event{
		Code:     payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3f, // the R bit (0x40) is ignored, as receivers must
		Duration: binary.BigEndian.Uint16(payload[2:4]),
	}, nil
}

// AppendEvents appends every block of payload to dst, in order, and
// returns it. RFC 4733 §2.5.1.5 allows several short events in one packet:
// each begins where the one before it ends, the first at the packet's
// timestamp.
func AppendEvents(dst []Event, payload []byte) ([]Event, error) {
	if len(payload) < BlockSize || len(payload)%BlockSize != 0 {
		return dst, fmt.Errorf("%w: %d bytes", ErrPayload, len(payload))
	}
	for ; len(payload) > 0; payload = payload[BlockSize:] {
		e, _ := Parse(payload[:BlockSize])
		dst = append(dst, e)
	}
	return dst, nil
}

// Append appends e as a 4-byte block to b (the reserved bit zero, the
// volume's top bits dropped).
func (e Event) Append(b []byte) []byte {
	flags := e.Volume & 0x3f
	if e.End {
		flags |= 0x80
	}
	return binary.BigEndian.AppendUint16(append(b, e.Code, flags), e.Duration)
}

// keys are the characters of the DTMF events 0–16.
const keys = "0123456789*#ABCD!"

// Key returns the keypad character of a DTMF event ('0'–'9', '*', '#',
// 'A'–'D', and '!' for flash), or 0 for any other event code.
func (e Event) Key() byte {
	if int(e.Code) < len(keys) {
		return keys[e.Code]
	}
	return 0
}

// String describes e, for logs.
func (e Event) String() string {
	name := fmt.Sprintf("event %d", e.Code)
	if k := e.Key(); k != 0 {
		name = fmt.Sprintf("key %c", k)
	}
	end := ""
	if e.End {
		end = ", end"
	}
	return fmt.Sprintf("%s, -%d dBm0, duration %d%s", name, e.Volume, e.Duration, end)
}
