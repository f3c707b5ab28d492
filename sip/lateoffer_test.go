package sip_test

import (
	"strings"
	"testing"
)

// TestLateOfferWithoutAnswerHangsUp: an INVITE without SDP gets callrec's
// offer in the 200 (PCMU, PCMA, G.722, recvonly); an ACK that brings no
// answer leaves the leg without media, so callrec ends it (BYE) and the
// phone leaves the call. (late-offer.xml in TestSippEdgeCases answers in
// its ACK and is recorded.)
func TestLateOfferWithoutAnswerHangsUp(t *testing.T) {
	n := startNode(t)
	callID := n.createCall(t)
	ph := newPhone(t, n.sip, "carol")
	_, code, offer := ph.call(t.Context(), callID, "udp", nil)
	if code != 200 {
		t.Fatalf("INVITE without SDP answered %d, want 200 with an offer", code)
	}
	for _, want := range []string{"a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:9 G722/8000", "a=recvonly"} {
		if !strings.Contains(string(offer), want) {
			t.Errorf("callrec's offer lacks %q:\n%s", want, offer)
		}
	}
	// The phone joined with the 200; the ACK phone.call sent has no body:
	// callrec hangs up (its BYE waits for an answer this phone never sends,
	// so the leave comes seconds later).
	if got := n.srv.App.Hub.Participants(callID); len(got) != 1 {
		t.Fatalf("participants after the 200: %v", got)
	}
	n.waitParticipants(t, callID, nil)
}
