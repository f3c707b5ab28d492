package recorder

import "github.com/callrec/callrec"

// assignment is one participant's channel.
type assignment struct {
	Participant string `json:"participant"`
	Channel     int    `json:"channel"`
	// Shared is set for participants beyond the channel limit, mixed into
	// the last channel.
	Shared bool `json:"shared,omitempty"`
}

// channelMap assigns participants to channels (see the package doc).
type channelMap struct {
	channels int
	mixed    bool
	assigned map[string]int
	list     []assignment   // in assignment order
	reserved map[string]int // affinity pins and ordering reservations
	taken    []bool         // channel held or reserved
}

func newChannelMap(spec callrec.RecordingSpec, limit int, prior []assignment) *channelMap {
	m := &channelMap{assigned: map[string]int{}, reserved: map[string]int{}}
	if spec.Channel != callrec.ChannelUnmixed {
		m.channels, m.mixed = 1, true
	} else {
		m.channels = limit
	}
	m.taken = make([]bool, m.channels)
	for _, a := range prior {
		m.assigned[a.Participant] = a.Channel
		m.list = append(m.list, a)
		if a.Channel < m.channels {
			m.taken[a.Channel] = true
		}
	}
	if m.mixed {
		return m
	}
	for _, a := range spec.ChannelAffinity {
		if _, done := m.assigned[a.Participant]; done || a.Channel < 0 || a.Channel >= m.channels || m.taken[a.Channel] {
			continue
		}
		m.reserved[a.Participant] = a.Channel
		m.taken[a.Channel] = true
	}
	for _, p := range spec.ChannelOrder {
		if _, done := m.assigned[p]; done {
			continue
		}
		if _, pinned := m.reserved[p]; pinned {
			continue
		}
		if c := m.lowestFree(); c >= 0 {
			m.reserved[p] = c
			m.taken[c] = true
		}
	}
	return m
}

func (m *channelMap) lowestFree() int {
	for c, t := range m.taken {
		if !t {
			return c
		}
	}
	return -1
}

// channel returns p's channel, assigning one on first sight; isNew reports
// a first sight.
func (m *channelMap) channel(p string) (ch int, isNew bool) {
	if c, ok := m.assigned[p]; ok {
		return c, false
	}
	a := assignment{Participant: p}
	switch c, ok := m.reserved[p]; {
	case m.mixed:
		a.Channel = 0
	case ok:
		a.Channel = c
	default:
		if c := m.lowestFree(); c >= 0 {
			a.Channel = c
			m.taken[c] = true
		} else {
			a.Channel, a.Shared = m.channels-1, true
		}
	}
	m.assigned[p] = a.Channel
	m.list = append(m.list, a)
	return a.Channel, true
}

// assignments returns the assignments so far, in order.
func (m *channelMap) assignments() []assignment { return append([]assignment(nil), m.list...) }
