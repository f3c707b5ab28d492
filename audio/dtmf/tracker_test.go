package dtmf

import (
	"math/rand/v2"
	"testing"
)

// packet is one telephone-event RTP packet as a phone sends it.
type packet struct {
	timestamp uint32
	payload   []byte
}

// pressPackets returns the packets a phone sends for one key press
// starting at timestamp start and lasting duration: one every 20 ms (160
// timestamp units) with the duration so far, then the end packet three
// times (RFC 4733 §2.5.1.4).
func pressPackets(code uint8, start uint32, duration uint16) []packet {
	var out []packet
	for d := uint16(160); d < duration; d += 160 {
		out = append(out, packet{start, Event{Code: code, Volume: 10, Duration: d}.Append(nil)})
	}
	for range 3 {
		out = append(out, packet{start, Event{Code: code, End: true, Volume: 10, Duration: duration}.Append(nil)})
	}
	return out
}

func feed(t *testing.T, tr *Tracker, packets []packet) []Press {
	t.Helper()
	var got []Press
	for _, p := range packets {
		var err error
		if got, err = tr.Packet(got, p.timestamp, p.payload); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func TestTrackerReportsEachPressOnce(t *testing.T) {
	var tr Tracker
	got := feed(t, &tr, pressPackets(5, 8000, 800))
	want := Press{Event{Code: 5, End: true, Volume: 10, Duration: 800}, 8000}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("%+v, want one %+v", got, want)
	}
	if late := feed(t, &tr, pressPackets(5, 8000, 800)[:2]); len(late) != 0 {
		t.Errorf("late packets of a reported press gave %+v", late)
	}
	if got := tr.Flush(nil); len(got) != 0 {
		t.Errorf("Flush after the end gave %+v", got)
	}
}

func TestTrackerReportsAPressWhoseEndWasLost(t *testing.T) {
	var tr Tracker
	one := pressPackets(1, 1000, 640)
	got := feed(t, &tr, one[:len(one)-3]) // no end packets
	if len(got) != 0 {
		t.Fatalf("reported %+v before the press was over", got)
	}
	got = feed(t, &tr, pressPackets(2, 9000, 480)[:1])
	want := Press{Event{Code: 1, Volume: 10, Duration: 480}, 1000}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("when the next press began: %+v, want %+v", got, want)
	}
	got = tr.Flush(nil)
	if len(got) != 1 || got[0].Key() != '2' || got[0].End {
		t.Fatalf("Flush: %+v", got)
	}
}

// TestTrackerReadsPackedEvents feeds a packet with two blocks (RFC 4733
// §2.5.1.5): a finished '1' and the start of '2', which begins where '1'
// ends.
func TestTrackerReadsPackedEvents(t *testing.T) {
	var tr Tracker
	payload := Event{Code: 1, End: true, Duration: 400}.Append(nil)
	payload = Event{Code: 2, Duration: 160}.Append(payload)
	got, err := tr.Packet(nil, 5000, payload)
	if err != nil || len(got) != 1 || got[0].Key() != '1' || got[0].Start != 5000 {
		t.Fatalf("%+v, %v", got, err)
	}
	got, _ = tr.Packet(nil, 5400, Event{Code: 2, End: true, Duration: 320}.Append(nil))
	if len(got) != 1 || got[0].Key() != '2' || got[0].Start != 5400 {
		t.Fatalf("%+v", got)
	}
	if _, err := tr.Packet(nil, 6000, []byte{1, 2, 3}); err == nil {
		t.Error("a 3-byte payload was accepted")
	}
}

// TestTrackerDialsThroughLoss dials "1234#*0" as a phone does and loses
// packets at random: every key with at least one packet through must be
// reported once, in order, and no other.
func TestTrackerDialsThroughLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	codes := []uint8{1, 2, 3, 4, 11, 10, 0}
	for trial := range 200 {
		var tr Tracker
		var want, got []byte
		ts := uint32(trial) * 100000
		for _, c := range codes {
			var sent []packet
			for _, p := range pressPackets(c, ts, uint16(400+rng.IntN(800))) {
				if rng.Float64() >= 0.4 {
					sent = append(sent, p)
				}
			}
			if len(sent) > 0 {
				want = append(want, Event{Code: c}.Key())
			}
			for _, p := range feed(t, &tr, sent) {
				got = append(got, p.Key())
			}
			ts += 3200
		}
		for _, p := range tr.Flush(nil) {
			got = append(got, p.Key())
		}
		if string(got) != string(want) {
			t.Fatalf("trial %d: reported %q, want %q", trial, got, want)
		}
	}
}
