package dtmf

// Press is one key press (or other event) as a Tracker reports it.
type Press struct {
	Event        // its last block: code, volume, final duration; End is false if its end packets were all lost
	Start uint32 // the RTP timestamp at which it began
}

// Tracker turns one stream's telephone-event packets into presses: each is
// reported once, when its end packet arrives (the repeats of the end packet
// and any late packet of it are ignored), or, if every end packet was lost,
// when the next event begins or Flush is called. The zero Tracker is ready.
type Tracker struct {
	cur    Press // the event in progress, when active
	active bool
	done   [8]uint32 // start timestamps of the events last reported, a ring
	ndone  int
}

// Packet takes one telephone-event RTP packet's timestamp and payload and
// appends to dst the presses it completes. A payload that is not whole
// blocks is an error and changes nothing.
func (t *Tracker) Packet(dst []Press, timestamp uint32, payload []byte) ([]Press, error) {
	if len(payload) < BlockSize || len(payload)%BlockSize != 0 {
		_, err := Parse(payload)
		return dst, err
	}
	start := timestamp
	for ; len(payload) > 0; payload = payload[BlockSize:] {
		e, _ := Parse(payload[:BlockSize])
		dst = t.block(dst, Press{Event: e, Start: start})
		start += uint32(e.Duration) // the next packed event begins where this one ends
	}
	return dst, nil
}

// block handles one event block.
func (t *Tracker) block(dst []Press, p Press) []Press {
	if t.reported(p.Start) {
		return dst // a repeat of an end packet, or a late packet of a reported event
	}
	if t.active && t.cur.Start != p.Start {
		dst = t.Flush(dst) // a new event began: the current one's end was lost
	}
	if p.End {
		t.active = false
		return t.report(dst, p)
	}
	if !t.active || p.Duration >= t.cur.Duration {
		t.cur, t.active = p, true
	}
	return dst
}

// Flush reports the event in progress, if any, as ended (End false), for
// when the stream stops or goes quiet without its end packets.
func (t *Tracker) Flush(dst []Press) []Press {
	if !t.active {
		return dst
	}
	t.active = false
	return t.report(dst, t.cur)
}

func (t *Tracker) report(dst []Press, p Press) []Press {
	t.done[t.ndone%len(t.done)] = p.Start
	t.ndone++
	return append(dst, p)
}

func (t *Tracker) reported(start uint32) bool {
	for i := range min(t.ndone, len(t.done)) {
		if t.done[i] == start {
			return true
		}
	}
	return false
}
