package rtcrecv

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// closeOrder records how many packets reached the handler before OnClose.
type closeOrder struct {
	n, atClose int
	closed     bool
}

func (h *closeOrder) OnRTP(*rtp.Packet, time.Time) { h.n++ }
func (h *closeOrder) OnTick(time.Time)             {}
func (h *closeOrder) OnClose(error)                { h.atClose, h.closed = h.n, true }

// TestCloseAfterDrainReadsFirst: a publisher's last packet lands in the
// socket after a poll's drain, then its leave closes the peer before the
// poll reaps. The peer is finished only after the next drain has handed
// that packet on (a loaded machine lost the last 40 ms of a participant's
// audio this way).
func TestCloseAfterDrainReadsFirst(t *testing.T) {
	sender, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	w, s, p, out := connectedPeer(t, sender.LocalAddr().(*net.UDPAddr).AddrPort())
	h := &closeOrder{}
	p.Start(h)
	p.handler = h
	w.peers = []*Peer{p}

	polled := time.Now()
	if err := s.drain(w.reader, polled, w.handle); err != nil {
		t.Fatal(err)
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SSRC: 42}, Payload: make([]byte, 80)}
	raw, _ := pkt.Marshal()
	datagram, err := out.EncryptRTP(nil, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.WriteToUDPAddrPort(datagram, s.local); err != nil {
		t.Fatal(err)
	}
	p.Close()
	w.reap(polled)
	if h.closed {
		t.Fatal("the peer was finished before its last packet was read")
	}
	next := time.Now()
	if err := s.drain(w.reader, next, w.handle); err != nil {
		t.Fatal(err)
	}
	w.reap(next)
	if !h.closed || h.atClose != 1 {
		t.Fatalf("closed %v after %d packets, want closed after 1", h.closed, h.atClose)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after the peer was finished")
	}
}
