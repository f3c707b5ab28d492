package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/simulate/sipphone"
)

// TestCallConnectionControlledThroughAnotherNode: two phones are in a call
// hosted by node B (the first one's INVITE rang there and was answered
// through A, the second joined it there); the application talks to node A
// only. Through A it reads the connection, lists the participants, mutes
// the second phone (A then reports it muted: B holds that state), removes
// it (it gets a BYE), and hangs up for everyone: the first phone gets a
// BYE, the recording started through A stops with callEnded and holds the
// first phone's tone, and each callback (CallConnected,
// RemoveParticipantSucceeded, CallDisconnected, every ParticipantsUpdated)
// arrives once.
func TestCallConnectionControlledThroughAnotherNode(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	a, _ := sipNode(t, dsn)
	b, bSIP := sipNode(t, dsn)
	ca, err := callautomation.NewCallAutomationClient(a.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := startCallbackReceiver(t, nil)
	subscribeIncoming(t, ca, sink.URL+"/eventgrid")
	const first, second = "4:+14255550140", "4:+14255550141"
	phone := func(callID, participant, source string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := sipphone.Join(ctx, sipphone.Options{DialOptions: sipphone.DialOptions{Server: bSIP,
				CallID: callID, Participant: participant}, Source: source, Duration: 3 * time.Minute})
			done <- err
		}()
		return done
	}
	hungUp := func(who string, done chan error) {
		t.Helper()
		select {
		case err := <-done:
			if !errors.Is(err, simulate.ErrCallEnded) {
				t.Errorf("phone %s ended with %v, want a BYE from callrec", who, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("phone %s is still in the call", who)
		}
	}

	firstDone := phone("+18005550140", first, "tone:440")
	incoming := waitEvent(t, sink, "/eventgrid", "Microsoft.Communication.IncomingCall")
	props, err := ca.AnswerCall(ctx, incoming["incomingCallContext"].(string), sink.URL+"/callback", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sink, "/callback", "Microsoft.Communication.CallConnected")
	if call, err := ca.Calls().Get(ctx, props.ServerCallID); err != nil || call.Node != nodeID(t, b) {
		t.Fatalf("the answered call: %+v %v, want it on B", call, err)
	}
	rec := ca.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{CallLocator: callautomation.ServerCallLocator{ID: props.ServerCallID},
		RecordingContent: "audio", RecordingChannel: "mixed", RecordingFormat: "wav"})
	if err != nil {
		t.Fatal(err)
	}
	secondDone := phone(props.ServerCallID, second, "silence")

	conn := ca.CallConnection(props.CallConnectionID)
	deadline := time.Now().Add(time.Minute)
	for {
		list, err := conn.ListParticipants(ctx)
		if err != nil {
			t.Fatalf("listing the participants through A: %v", err)
		}
		if len(list) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("participants through A: %+v, want both phones", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // the recording holds seconds of the first phone's tone
	got, err := conn.Properties(ctx)
	if err != nil || got.State != "connected" || got.ServerCallID != props.ServerCallID || got.AnsweredFor != "+18005550140" {
		t.Fatalf("properties through A: %+v %v", got, err)
	}

	secondID := callautomation.IdentifierFromRawID(second)
	if err := conn.MuteParticipant(ctx, secondID); err != nil {
		t.Fatalf("muting through A a participant on B: %v", err)
	}
	list, err := conn.ListParticipants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	muted := map[string]bool{}
	for _, p := range list {
		muted[p.Identifier.RawID()] = p.IsMuted
	}
	if len(muted) != 2 || muted[first] || !muted[second] {
		t.Errorf("participants through A after the mute: %v, want %s muted and %s not", muted, second, first)
	}
	if p, err := conn.GetParticipant(ctx, secondID); err != nil || !p.IsMuted {
		t.Errorf("the muted participant through A: %+v %v", p, err)
	}

	if err := conn.RemoveParticipant(ctx, secondID, "remove-second"); err != nil {
		t.Fatalf("removing through A a participant on B: %v", err)
	}
	hungUp(second, secondDone)
	removed := waitEvent(t, sink, "/callback", "Microsoft.Communication.RemoveParticipantSucceeded")
	if removed["operationContext"] != "remove-second" {
		t.Errorf("RemoveParticipantSucceeded %v", removed)
	}

	if err := conn.HangUp(ctx, true); err != nil {
		t.Fatalf("hanging up through A for everyone a call on B: %v", err)
	}
	hungUp(first, firstDone)
	disconnected := waitEvent(t, sink, "/callback", "Microsoft.Communication.CallDisconnected")
	if info, _ := disconnected["resultInformation"].(map[string]any); info["subCode"] != float64(7000) {
		t.Errorf("CallDisconnected %v, want subCode 7000 (ended by the application)", disconnected)
	}
	result := waitResult(t, ca, st.RecordingID)
	if result.SessionEndReason != "callEnded" {
		t.Errorf("the recording ended with %q, want callEnded", result.SessionEndReason)
	}
	var content bytes.Buffer
	if _, err := rec.DownloadTo(ctx, result.RecordingStorageInfo.RecordingChunks[0].ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	checkHoldsTone(t, content.Bytes(), 440)
	if _, err := conn.ListParticipants(ctx); !hasCode(err, "CallConnectionDisconnected") {
		t.Errorf("participants of the hung-up connection through A: %v, want 404 CallConnectionDisconnected", err)
	}

	time.Sleep(2 * time.Second) // any duplicate would come now
	count, ids := map[string]int{}, map[string]int{}
	var mutedUpdate bool
	for _, d := range sink.Deliveries() {
		var events []struct {
			ID   string         `json:"id"`
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if d.Path != "/callback" || json.Unmarshal(d.Body, &events) != nil {
			continue
		}
		for _, ev := range events {
			count[ev.Type]++
			ids[ev.ID]++
			if ev.Type != "Microsoft.Communication.ParticipantsUpdated" {
				continue
			}
			parts, _ := ev.Data["participants"].([]any)
			for _, p := range parts {
				p, _ := p.(map[string]any)
				id, _ := p["identifier"].(map[string]any)
				if id["rawId"] == second && p["isMuted"] == true {
					mutedUpdate = true
				}
			}
		}
	}
	for _, typ := range []string{"CallConnected", "RemoveParticipantSucceeded", "CallDisconnected"} {
		if n := count["Microsoft.Communication."+typ]; n != 1 {
			t.Errorf("%d %s callbacks, want 1", n, typ)
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("callback %s arrived %d times", id, n)
		}
	}
	if !mutedUpdate {
		t.Errorf("no ParticipantsUpdated with %s muted; callbacks: %s", second, summarize(sink.Deliveries()))
	}
}
