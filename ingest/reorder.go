package ingest

import (
	"cmp"
	"slices"
)

// maxReorderPackets bounds the reorder buffer: beyond it the oldest packet is
// released at once (its missing predecessors count as lost), whatever the
// wait. 50 packets are 1 s of 20 ms audio.
const maxReorderPackets = 50

// bufferedPacket is one RTP packet waiting in the reorder buffer.
type bufferedPacket struct {
	seq     int64 // unwrapped sequence number
	ts      int64 // unwrapped RTP timestamp
	payload []byte
	arrival int64 // call-clock position when it arrived
}

// reorderBuffer holds packets until every packet before them has arrived,
// or until the first of them has waited `wait` samples of call clock; then
// the missing ones are declared lost. next is the sequence number the
// stream expects to release next.
type reorderBuffer struct {
	wait    int64
	next    int64
	packets []bufferedPacket // sorted by seq
}

// insert adds p; it reports false for a duplicate or for a packet older than
// what was already released (late).
func (b *reorderBuffer) insert(p bufferedPacket) bool {
	if p.seq < b.next {
		return false
	}
	i, found := slices.BinarySearchFunc(b.packets, p.seq, func(q bufferedPacket, seq int64) int {
		return cmp.Compare(q.seq, seq)
	})
	if found {
		return false
	}
	b.packets = slices.Insert(b.packets, i, p)
	return true
}

// pop returns the next packet that may be released at call position now, and
// how many packets before it are lost, or ok=false.
func (b *reorderBuffer) pop(now int64) (p bufferedPacket, lost int64, ok bool) {
	if len(b.packets) == 0 {
		return p, 0, false
	}
	head := b.packets[0]
	if head.seq != b.next && head.arrival+b.wait > now && len(b.packets) < maxReorderPackets {
		return p, 0, false
	}
	lost = head.seq - b.next
	b.packets = slices.Delete(b.packets, 0, 1)
	b.next = head.seq + 1
	return head, lost, true
}

// lowest returns the smallest buffered sequence number.
func (b *reorderBuffer) lowest() (int64, bool) {
	if len(b.packets) == 0 {
		return 0, false
	}
	return b.packets[0].seq, true
}

func (b *reorderBuffer) len() int { return len(b.packets) }

// reset empties the buffer for a new stream.
func (b *reorderBuffer) reset() {
	b.packets, b.next = b.packets[:0], 0
}
