package sip_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	callsip "github.com/callrec/callrec/sip"
)

// TestHoldIsSilenceOnTheTimeline: the phone sends a tone throughout; a
// re-INVITE puts it on hold (sendonly: music on hold, here the tone, is not
// recorded) for 1 s and another resumes. The hold is silence in the file
// and the tone after it is where it was sent: nothing shifts.
func TestHoldIsSilenceOnTheTimeline(t *testing.T) {
	n := startNode(t)
	ctx := t.Context()
	callID := n.createCall(t)
	recID := n.startRecording(t, callID)
	ph := newPhone(t, n.sip, "alice")
	s, code, answer := ph.call(ctx, callID, "udp", ph.offer("0 101", "sendrecv"))
	if code != 200 {
		t.Fatalf("INVITE answered %d", code)
	}
	to, _, _ := media(t, answer)
	n.waitParticipants(t, callID, []string{"sip:alice@127.0.0.1"})
	snd := newSender(ph.rtp, to, "PCMU")
	const amp = 0.5
	begin := snd.tone(440, amp, time.Second)
	holdAt := time.Now()
	if code, body := ph.reinvite(ctx, s, ph.offer("0 101", "sendonly")); code != 200 {
		t.Fatalf("hold answered %d", code)
	} else if _, _, dir := media(t, body); dir != "inactive" {
		t.Errorf("hold answered %s", dir)
	}
	snd.tone(440, amp, time.Second) // music on hold
	resumeAt := time.Now()
	if code, body := ph.reinvite(ctx, s, ph.offer("0 101", "sendrecv")); code != 200 {
		t.Fatalf("resume answered %d", code)
	} else if _, _, dir := media(t, body); dir != "recvonly" {
		t.Errorf("resume answered %s", dir)
	}
	resumed := snd.tone(440, amp, time.Second)
	end := time.Now()
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	n.waitParticipants(t, callID, nil)
	x, start, _ := n.recorded(t, recID)
	const margin = 100 * 16 // the re-INVITEs' round trips, on a loaded machine
	t.Logf("sent %d–%d, hold %d, resume %d, sent again %d–%d", at(start, begin), at(start, holdAt),
		at(start, holdAt), at(start, resumeAt), at(start, resumed), at(start, end))
	checkTone(t, "before hold", x, at(start, begin)+margin, at(start, holdAt)-margin, amp)
	checkSilent(t, "on hold", x, at(start, holdAt)+margin, at(start, resumeAt)-margin)
	checkTone(t, "after resume", x, at(start, resumed)+margin, at(start, end)-margin, amp)
	back := at(start, resumeAt) + audio.FirstAbove(x[at(start, resumeAt):], 0.1)
	if d := back - at(start, resumed); d < -margin || d > margin {
		t.Errorf("the tone comes back at %d, sent again at %d", back, at(start, resumed))
	}
	if last := lastAbove(x, 0.1); last-at(start, end) < -margin || last-at(start, end) > margin {
		t.Errorf("tone ends at %d, sent until %d: the timeline shifted", last, at(start, end))
	}
}

// TestRefusals: what callrec answers to INVITEs it cannot take, and to
// requests outside any dialog.
func TestRefusals(t *testing.T) {
	n := startNode(t)
	ctx := t.Context()
	callID := n.createCall(t)
	ph := newPhone(t, n.sip, "bob")
	cases := []struct {
		name   string
		callID string
		body   []byte
		want   int
	}{
		// With no --sip-route, a user that is no call rings (IncomingCall)
		// and nobody answers it here: 480 after the ring timeout.
		{"unknown call", "no-such-call", ph.offer("0", ""), 480},
		{"only G.729", callID, []byte(string(ph.offer("18", "")) + "a=rtpmap:18 G729/8000\r\n"), 488},
		{"malformed SDP", callID, []byte("v=0\r\nthis is not SDP\r\n"), 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, code, _ := ph.call(ctx, c.callID, "udp", c.body)
			if code != c.want {
				t.Errorf("answered %d, want %d", code, c.want)
			}
		})
	}
	if got := n.srv.App.Hub.Participants(callID); len(got) != 0 {
		t.Errorf("refused phones joined: %v", got)
	}

	// A BYE, a re-INVITE and a CANCEL for dialogs callrec does not have.
	client, err := sipgo.NewClient(ph.ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []sip.RequestMethod{sip.BYE, sip.INVITE, sip.CANCEL} {
		req := sip.NewRequest(method, ph.uri(callID, "udp"))
		req.AppendHeader(sip.NewHeader("From", "<sip:bob@127.0.0.1>;tag=a1"))
		req.AppendHeader(sip.NewHeader("To", "<sip:"+callID+"@127.0.0.1>;tag=b2"))
		req.AppendHeader(sip.NewHeader("Call-ID", "no-such-dialog-"+string(method)))
		if method == sip.INVITE {
			req.SetBody(ph.offer("0", ""))
			req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		}
		res, err := client.Do(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if res.StatusCode != 481 {
			t.Errorf("%s outside a dialog answered %d, want 481", method, res.StatusCode)
		}
	}
}

// slowCalls is the node's call service behind a slow lookup: a phone's
// INVITE stays unanswered long enough to be cancelled.
type slowCalls struct {
	callsip.Calls
	delay time.Duration
}

func (s slowCalls) Call(ctx context.Context, id string) (*callrec.Call, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Calls.Call(ctx, id)
}

// TestCancelBeforeAnswer: a CANCEL while the INVITE is pending is answered
// 200, the INVITE 487, and nobody joins.
func TestCancelBeforeAnswer(t *testing.T) {
	n := startNode(t)
	callID := n.createCall(t)
	ep := startEndpoint(t, n, callsip.Config{Calls: slowCalls{Calls: n.srv.App.Service, delay: 10 * time.Second}})
	ph := newPhone(t, ep.Addr(), "carol")
	s, err := ph.dialog.Invite(t.Context(), ph.uri(callID, "udp"), ph.offer("0", ""), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err = s.WaitAnswer(ctx, sipgo.AnswerOptions{}) // sends CANCEL when ctx ends, checks its 200
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitAnswer: %v", err)
	}
	if s.InviteResponse == nil || s.InviteResponse.StatusCode != 487 {
		t.Fatalf("INVITE answered %v, want 487", s.InviteResponse)
	}
	time.Sleep(200 * time.Millisecond)
	if got := n.srv.App.Hub.Participants(callID); len(got) != 0 {
		t.Errorf("a cancelled phone joined: %v", got)
	}
}

// TestCodecChangeAndSessionTimer: the phone asks for a session timer
// (answered with the phone as refresher), then switches from PCMU to PCMA
// by re-INVITE mid-tone; the tone goes on in the recording without a gap.
func TestCodecChangeAndSessionTimer(t *testing.T) {
	n := startNode(t)
	ctx := t.Context()
	callID := n.createCall(t)
	recID := n.startRecording(t, callID)
	ph := newPhone(t, n.sip, "+14255550199")
	s, code, answer := ph.call(ctx, callID, "udp", ph.offer("0 101", "sendrecv"),
		sip.NewHeader("Supported", "timer"), sip.NewHeader("Session-Expires", "1800"))
	if code != 200 {
		t.Fatalf("INVITE answered %d", code)
	}
	if se := s.InviteResponse.GetHeader("Session-Expires"); se == nil || se.Value() != "1800;refresher=uac" {
		t.Errorf("Session-Expires in the answer: %v", se)
	}
	if req := s.InviteResponse.GetHeader("Require"); req == nil || req.Value() != "timer" {
		t.Errorf("Require in the answer: %v", req)
	}
	to, _, _ := media(t, answer)
	snd := newSender(ph.rtp, to, "PCMU")
	const amp = 0.5
	// The phone's RTP flows on while it changes codec: the re-INVITE goes
	// out a second into the tone, and the next packet after its 200 is
	// PCMA.
	var switched time.Time
	reinvited := make(chan struct{})
	go func() {
		defer close(reinvited)
		time.Sleep(time.Second)
		code, body := ph.reinvite(ctx, s, ph.offer("8 101", "sendrecv"))
		if code != 200 {
			t.Errorf("re-INVITE answered %d", code)
			return
		}
		if _, formats, _ := media(t, body); formats[0] != "8" {
			t.Errorf("re-INVITE answered with %v", formats)
			return
		}
		snd.use("PCMA")
		switched = time.Now()
	}()
	begin := snd.tone(440, amp, 2*time.Second)
	<-reinvited
	if switched.IsZero() {
		t.FailNow()
	}
	end := time.Now()
	if err := s.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	n.waitParticipants(t, callID, nil)
	x, start, ids := n.recorded(t, recID)
	if !slices.Equal(ids, []string{"4:+14255550199"}) {
		t.Errorf("participants %v", ids)
	}
	const margin = 60 * 16
	checkTone(t, "PCMU", x, at(start, begin)+margin, at(start, switched)-margin, amp)
	checkTone(t, "PCMA", x, at(start, switched)+margin, at(start, end)-margin, amp)
	// No gap at the switch: every 10 ms around it has the tone.
	for i := at(start, switched) - margin; i < at(start, switched)+margin; i += 160 {
		if rms := audio.RMS(x[i : i+160]); audio.DBFS(rms) < audio.DBFS(amp/math.Sqrt2)-3 {
			t.Errorf("a drop at %d (%.1f dBFS) around the codec change", i, audio.DBFS(rms))
			break
		}
	}
}
