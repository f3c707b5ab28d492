package siprec_test

import (
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/srctest"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/siprec"
)

// TestPolicyOffAndAPI: with --siprec-record=off a session records
// nothing until an app starts a recording of its call (found in the call
// list); the API pauses and resumes it; a re-INVITE whose metadata does
// not parse is refused (400) and the session goes on being recorded; the
// BYE stops the recording with the call.
func TestPolicyOffAndAPI(t *testing.T) {
	n := startNode(t, testserver.WithConfig(func(c *app.Config) { c.SIPRECRecord = "off" }))
	ctx := t.Context()
	src, err := srctest.New(n.srv.App.SIP.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const cs = "policy-off"
	if code, err := src.Invite(ctx, cs, &srctest.Stream{Label: "1", AOR: "tel:+14255550131"}); err != nil || code != 200 {
		t.Fatalf("INVITE: %d %v", code, err)
	}
	callID := siprec.ServerCallID(cs, 0)
	n.call(t, callID, callrec.CallActive)
	if recs := n.recordings(t, callID); len(recs) != 0 {
		t.Fatalf("policy off, recordings %+v", recs)
	}
	rec := n.client.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: callID},
		RecordingContent: "audio", RecordingChannel: "unmixed", RecordingFormat: "wav",
	})
	if err != nil {
		t.Fatal(err)
	}
	tone := func() {
		if _, err := src.Tone(ctx, []float64{toneA}, toneAmp, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	tone()
	if err := rec.Pause(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if s, err := rec.GetState(ctx, st.RecordingID); err != nil || s.RecordingState != "inactive" {
		t.Fatalf("state %+v %v", s, err)
	}
	tone() // paused: cut
	if err := rec.Resume(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	body := srctest.Body(cs, 7000, &srctest.Stream{Label: "1", AOR: "tel:+14255550131"})
	bad := body[:len(body)-40] + "<unclosed>\r\n--srctest--\r\n"
	if code, err := src.ReInvite(ctx, "multipart/mixed;boundary=srctest", []byte(bad)); err != nil || code != 400 {
		t.Fatalf("bad re-INVITE answered %d %v, want 400", code, err)
	}
	tone()
	time.Sleep(300 * time.Millisecond)
	if err := src.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	audios, metas := n.download(t, st.RecordingID)
	x := audios[0][channelOf(metas[0], "4:+14255550131")]
	var total int
	for _, s := range spans(x) {
		total += s[1] - s[0]
	}
	// 1 s before the pause and 1 s after the refused re-INVITE; the
	// paused second is cut.
	if total < 1800*16 || total > 2200*16 {
		t.Errorf("%d samples of tone (%v), want 2 s", total, spans(x))
	}
	if s := spans(x); len(s) > 0 {
		checkTone(t, "tone", x, s[0][0]+800, s[0][1]-800, toneA, toneAmp)
	}
}
