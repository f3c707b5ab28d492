package sip_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/webhook"
)

// events is an HTTP endpoint on 127.0.0.1 that receives Event Grid
// deliveries (answering the validation handshake) and Call Automation
// callbacks, and keeps every event by type.
type events struct {
	url     string
	mu      sync.Mutex
	got     []map[string]any
	changed chan struct{}
}

func newEvents(t *testing.T) *events {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &events{url: "http://" + ln.Addr().String(), changed: make(chan struct{}, 1)}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return e
}

func (e *events) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil {
		http.Error(w, "not a JSON array", http.StatusBadRequest)
		return
	}
	if r.Header.Get(webhook.HeaderEventGridEventType) == "SubscriptionValidation" {
		json.NewEncoder(w).Encode(map[string]any{"validationResponse": list[0]["data"].(map[string]any)["validationCode"]})
		return
	}
	e.mu.Lock()
	for _, ev := range list {
		ev["_path"] = r.URL.Path
		e.got = append(e.got, ev)
	}
	e.mu.Unlock()
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// wait returns the first event of type typ (Event Grid's eventType or a
// CloudEvent's type; "" for any) that match accepts, waiting up to 20 s.
func (e *events) wait(t *testing.T, typ string, match func(data map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		e.mu.Lock()
		for _, ev := range e.got {
			if (typ == "" || ev["type"] == typ || ev["eventType"] == typ) && (match == nil || match(ev["data"].(map[string]any))) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.changed:
		case <-deadline:
			t.Fatalf("no %s event", typ)
		}
	}
}

// count returns how many events of type typ arrived.
func (e *events) count(typ string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.got {
		if ev["type"] == typ || ev["eventType"] == typ {
			n++
		}
	}
	return n
}

// startRingingNode starts a node with SIP whose IncomingCall events go to
// an Event Grid subscription of sink.
func startRingingNode(t *testing.T, sink *events, opts ...func(*app.Config)) *node {
	t.Helper()
	srv := testserver.Start(t, testserver.FastWebhooks(), testserver.WithConfig(func(c *app.Config) {
		c.SIPAddr = "127.0.0.1:0"
		for _, o := range opts {
			o(c)
		}
	}))
	sub, _, err := srv.App.Subscriptions.Put(t.Context(), callrec.Subscription{Name: "incoming", URL: sink.url + "/eventgrid",
		Types: []string{"Microsoft.Communication.IncomingCall"}})
	if err != nil || sub.State != callrec.SubscriptionValidated {
		t.Fatalf("subscription: %+v, %v", sub, err)
	}
	return nodeOf(t, srv)
}

// ring INVITEs user from ph on a goroutine of its own; the result comes
// on the channel once the INVITE has its final answer (200 is ACKed).
type rang struct {
	session *sipgo.DialogClientSession
	code    int
	answer  []byte
	contact string
}

func (p *phone) ring(ctx context.Context, user string, headers ...sip.Header) <-chan rang {
	out := make(chan rang, 1)
	from := &sip.FromHeader{DisplayName: "Alice Caller", Address: sip.Uri{Scheme: "sip", User: p.from, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	hs := append([]sip.Header{from, sip.NewHeader("Content-Type", "application/sdp")}, headers...)
	go func() {
		s, err := p.dialog.Invite(ctx, p.uri(user, ""), p.offer("0 8 101", "sendrecv"), hs...)
		if err != nil {
			out <- rang{}
			return
		}
		err = s.WaitAnswer(ctx, sipgo.AnswerOptions{})
		r := rang{session: s}
		if s.InviteResponse != nil {
			r.code, r.answer = s.InviteResponse.StatusCode, s.InviteResponse.Body()
			if c := s.InviteResponse.Contact(); c != nil {
				r.contact = c.Address.String()
			}
		}
		if err == nil {
			_ = s.Ack(ctx)
		}
		out <- r
	}()
	return out
}

func incomingFor(user string) func(map[string]any) bool {
	return func(d map[string]any) bool { return d["to"].(map[string]any)["rawId"] == user }
}

// TestIncomingCallAnswered: a phone calls a number callrec has no call
// for; the app gets IncomingCall through its Event Grid subscription
// (to/from as phone numbers, the X- header in customContext), answers it,
// gets CallConnected and ParticipantsUpdated at its callback, records the
// call by callConnectionId, and hangs up for everyone: the phone gets a
// BYE, CallDisconnected arrives, the recording stops with CallEnded and
// holds the phone's tone.
func TestIncomingCallAnswered(t *testing.T) {
	sink := newEvents(t)
	n := startRingingNode(t, sink)
	ctx := t.Context()
	ph := newPhone(t, n.sip, "+14255550100")
	done := ph.ring(ctx, "+18005550100", sip.NewHeader("X-Ticket", "12345"), sip.NewHeader("User-To-User", "616d;encoding=hex"))

	ev := sink.wait(t, "Microsoft.Communication.IncomingCall", incomingFor("4:+18005550100"))
	data := ev["data"].(map[string]any)
	from := data["from"].(map[string]any)
	custom := data["customContext"].(map[string]any)
	if from["kind"] != "phoneNumber" || from["rawId"] != "4:+14255550100" || data["callerDisplayName"] != "Alice Caller" ||
		data["serverCallId"] == "" || data["correlationId"] == "" || ev["subject"] != "/caller/4:+14255550100/recipient/4:+18005550100" ||
		custom["sipHeaders"].(map[string]any)["X-Ticket"] != "12345" || custom["sipHeaders"].(map[string]any)["User-To-User"] != "616d;encoding=hex" ||
		len(custom["voipHeaders"].(map[string]any)) != 0 || ev["dataVersion"] != "1.0" {
		t.Fatalf("IncomingCall %v", ev)
	}
	incoming := data["incomingCallContext"].(string)

	props, err := n.client.AnswerCall(ctx, incoming, sink.url+"/callback", &callautomation.AnswerCallOptions{OperationContext: "op-answer"})
	if err != nil {
		t.Fatal(err)
	}
	if props.ServerCallID != data["serverCallId"] || props.AnsweredFor != "+18005550100" || props.State != "connecting" ||
		props.CorrelationID != data["correlationId"] || props.Source.RawID() != "4:+14255550100" {
		t.Fatalf("answer %+v", props)
	}
	r := <-done
	if r.code != 200 {
		t.Fatalf("the phone's INVITE got %d", r.code)
	}
	if _, err := n.client.AnswerCall(ctx, incoming, sink.url+"/callback", nil); statusOf(err) != 404 {
		t.Errorf("a second answer: %v, want 404", err)
	}
	connected := sink.wait(t, "Microsoft.Communication.CallConnected", nil)
	cd := connected["data"].(map[string]any)
	if cd["serverCallId"] != props.ServerCallID || cd["callConnectionId"] != props.CallConnectionID || cd["operationContext"] != "op-answer" ||
		connected["source"] != "calling/callConnections/"+props.CallConnectionID || connected["_path"] != "/callback" {
		t.Fatalf("CallConnected %v", connected)
	}
	sink.wait(t, "Microsoft.Communication.ParticipantsUpdated", func(d map[string]any) bool {
		ps := d["participants"].([]any)
		return len(ps) == 1 && ps[0].(map[string]any)["identifier"].(map[string]any)["rawId"] == "4:+14255550100"
	})
	conn := n.client.CallConnection(props.CallConnectionID)
	if got, err := conn.Properties(ctx); err != nil || got.State != "connected" {
		t.Fatalf("properties %+v, %v", got, err)
	}
	parts, err := conn.ListParticipants(ctx)
	if err != nil || len(parts) != 1 || parts[0].Identifier.RawID() != "4:+14255550100" {
		t.Fatalf("participants %+v, %v", parts, err)
	}
	if _, err := conn.GetParticipant(ctx, callautomation.PhoneNumberIdentifier{PhoneNumber: "+14255550199"}); statusOf(err) != 404 {
		t.Errorf("an absent participant: %v, want 404", err)
	}

	st, err := n.client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallConnectionID: props.CallConnectionID, RecordingContent: "audio", RecordingChannel: "unmixed", RecordingFormat: "wav"})
	if err != nil {
		t.Fatal(err)
	}
	to, _, _ := media(t, r.answer)
	begin := newSender(ph.rtp, to, "PCMU").tone(440, 0.5, 2*time.Second)
	end := begin.Add(2 * time.Second)
	if err := conn.HangUp(ctx, true); err != nil {
		t.Fatal(err)
	}
	n.waitParticipants(t, props.ServerCallID, nil)
	dis := sink.wait(t, "Microsoft.Communication.CallDisconnected", nil)
	if ri := dis["data"].(map[string]any)["resultInformation"].(map[string]any); ri["subCode"] != float64(7000) {
		t.Errorf("CallDisconnected %v", dis)
	}
	call, err := n.client.Calls().Get(ctx, props.ServerCallID)
	if err != nil || call.State != callrec.CallEnded {
		t.Fatalf("call after hangUp: %+v, %v", call, err)
	}
	rec, err := n.client.CallRecording().Result(ctx, st.RecordingID)
	if err != nil || len(rec.RecordingStorageInfo.RecordingChunks) != 1 || rec.RecordingStorageInfo.RecordingChunks[0].EndReason != "callEnded" {
		t.Fatalf("recording after hangUp: %+v, %v", rec, err)
	}
	if err := conn.HangUp(ctx, false); statusOf(err) != 404 {
		t.Errorf("hanging up again: %v, want 404", err)
	}
	x, start, ids := n.downloaded(t, st.RecordingID)
	checkPhoneTone(t, x, start, ids, begin, end, 0.5)
}

func statusOf(err error) int {
	if re, ok := errors.AsType[*callautomation.ResponseError](err); ok {
		return re.StatusCode
	}
	return 0
}

func codeOfErr(err error) string {
	if re, ok := errors.AsType[*callautomation.ResponseError](err); ok {
		return re.Code
	}
	return ""
}

// TestIncomingCallRejectedRedirectedTimedOutCancelled: what the caller
// gets for each way a ringing call ends without an answer.
func TestIncomingCallRejectedRedirectedTimedOutCancelled(t *testing.T) {
	sink := newEvents(t)
	n := startRingingNode(t, sink, func(c *app.Config) {
		c.SIPRingTimeout = 2 * time.Second
		c.SIPTrunk = "127.0.0.1:5999"
	})
	decide := map[string]func(ctx context.Context, incoming string) error{
		"+18005550101": func(ctx context.Context, incoming string) error { return n.client.RejectCall(ctx, incoming, "busy") },
		"+18005550102": func(ctx context.Context, incoming string) error { return n.client.RejectCall(ctx, incoming, "") },
		"+18005550103": func(ctx context.Context, incoming string) error {
			return n.client.RejectCall(ctx, incoming, "forbidden")
		},
		"+18005550104": func(ctx context.Context, incoming string) error {
			return n.client.RedirectCall(ctx, incoming, callautomation.PhoneNumberIdentifier{PhoneNumber: "+14255550123"})
		},
		"+18005550105": func(ctx context.Context, incoming string) error {
			return n.client.RedirectCall(ctx, incoming, callautomation.UnknownIdentifier{ID: "sip:bob@127.0.0.1:5998"})
		},
	}
	want := map[string]struct {
		code    int
		contact string
	}{
		"+18005550101": {486, ""}, "+18005550102": {603, ""}, "+18005550103": {403, ""},
		"+18005550104": {302, "sip:+14255550123@127.0.0.1:5999;user=phone"}, "+18005550105": {302, "sip:bob@127.0.0.1:5998"},
	}
	for user, act := range decide {
		t.Run(user, func(t *testing.T) {
			ctx := t.Context()
			done := newPhone(t, n.sip, "+14255550100").ring(ctx, user)
			ev := sink.wait(t, "Microsoft.Communication.IncomingCall", incomingFor("4:"+user))
			incoming := ev["data"].(map[string]any)["incomingCallContext"].(string)
			if err := act(ctx, incoming); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.code != want[user].code || (want[user].contact != "" && r.contact != want[user].contact) {
				t.Errorf("the caller got %d (Contact %q), want %d (%q)", r.code, r.contact, want[user].code, want[user].contact)
			}
			if err := n.client.RejectCall(ctx, incoming, ""); statusOf(err) != 404 {
				t.Errorf("deciding again: %v, want 404", err)
			}
		})
	}
	t.Run("RingTimeout", func(t *testing.T) {
		ctx := t.Context()
		done := newPhone(t, n.sip, "+14255550100").ring(ctx, "+18005550106")
		ev := sink.wait(t, "Microsoft.Communication.IncomingCall", incomingFor("4:+18005550106"))
		r := <-done
		if r.code != 480 {
			t.Errorf("the caller got %d, want 480 after the ring timeout", r.code)
		}
		incoming := ev["data"].(map[string]any)["incomingCallContext"].(string)
		if _, err := n.client.AnswerCall(ctx, incoming, sink.url+"/cb", nil); statusOf(err) != 404 ||
			codeOfErr(err) != "IncomingCallNotFound" {
			t.Errorf("answering after the timeout: %v, want 404 IncomingCallNotFound", err)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		done := newPhone(t, n.sip, "+14255550100").ring(ctx, "+18005550107")
		ev := sink.wait(t, "Microsoft.Communication.IncomingCall", incomingFor("4:+18005550107"))
		cancel() // the phone sends CANCEL
		r := <-done
		if r.code != 487 {
			t.Errorf("the cancelled INVITE got %d, want 487", r.code)
		}
		incoming := ev["data"].(map[string]any)["incomingCallContext"].(string)
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := n.client.AnswerCall(t.Context(), incoming, sink.url+"/cb", nil)
			if statusOf(err) == 404 {
				break
			}
			if err == nil || time.Now().After(deadline) {
				t.Fatalf("answering a cancelled call: %v, want 404", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("BadRequests", func(t *testing.T) {
		ctx := t.Context()
		for name, err := range map[string]error{
			"foreign context": n.client.RejectCall(ctx, "eyJhbGciOiJub25lIn0.e30.", ""),
			"bad reason":      n.client.RejectCall(ctx, "callrec.x", "maybe"),
			"acs user target": n.client.RedirectCall(ctx, "callrec.x", callautomation.CommunicationUserIdentifier{ID: "8:acs:r_u"}),
		} {
			if statusOf(err) != 400 {
				t.Errorf("%s: %v, want 400", name, err)
			}
		}
		if _, err := n.client.AnswerCall(ctx, "callrec.x", "ftp://x", nil); codeOfErr(err) != "InvalidCallbackUri" {
			t.Errorf("a bad callback: %v", err)
		}
		// A number is dialled through the trunk (TestCreateCallDialsOut
		// checks the outcome of a dial): the connection starts connecting.
		props, err := n.client.CreateCall(ctx, callautomation.PhoneNumberIdentifier{PhoneNumber: "+14255550123"}, sink.url+"/cb",
			&callautomation.CreateCallOptions{SourceCallerIDNumber: "+18005550100"})
		if err != nil || props.State != "connecting" {
			t.Errorf("createCall of a number through the trunk: %+v, %v, want connecting", props, err)
		}
		if err := n.client.CallConnection("nope").HangUp(ctx, true); statusOf(err) != 404 {
			t.Errorf("an unknown connection: %v, want 404", err)
		}
	})
}

// TestSIPRoutes: with routes, a matching number rings, a number routed to
// a call joins it directly, any other number gets 404, and an INVITE to a
// serverCallId still joins that call.
func TestSIPRoutes(t *testing.T) {
	sink := newEvents(t)
	const direct = "ZGlyZWN0LWNhbGw="
	n := startRingingNode(t, sink, func(c *app.Config) {
		c.SIPRoutes = []string{"+1800*=incoming", "+19005550100=call:" + direct}
		c.SIPRingTimeout = time.Second
	})
	ctx := t.Context()
	if _, err := n.client.Calls().Create(ctx, direct); err != nil {
		t.Fatal(err)
	}
	other := n.createCall(t)
	if r := <-newPhone(t, n.sip, "+14255550100").ring(ctx, "+19005550100"); r.code != 200 {
		t.Errorf("the routed number got %d, want 200", r.code)
	}
	n.waitParticipants(t, direct, []string{"4:+14255550100"})
	if r := <-newPhone(t, n.sip, "+14255550101").ring(ctx, other); r.code != 200 {
		t.Errorf("a serverCallId got %d, want 200", r.code)
	}
	if r := <-newPhone(t, n.sip, "+14255550102").ring(ctx, "+14255559999"); r.code != 404 {
		t.Errorf("an unrouted number got %d, want 404", r.code)
	}
	if r := <-newPhone(t, n.sip, "+14255550103").ring(ctx, "+18005550100"); r.code != 480 {
		t.Errorf("a ringing number nobody answers got %d, want 480", r.code)
	}
	if sink.count("Microsoft.Communication.IncomingCall") != 1 {
		t.Errorf("IncomingCall events: %d, want 1 (the +1800 number only)", sink.count("Microsoft.Communication.IncomingCall"))
	}
}

// TestCallConnectionParticipantActions: mute makes a participant muted
// (ParticipantsUpdated says so), remove hangs it up (its phone gets a BYE,
// RemoveParticipantSucceeded names it) and, being the last, ends the 1:1
// call.
func TestCallConnectionParticipantActions(t *testing.T) {
	sink := newEvents(t)
	n := startRingingNode(t, sink)
	ctx := t.Context()
	ph := newPhone(t, n.sip, "+14255550100")
	done := ph.ring(ctx, "+18005550100")
	ev := sink.wait(t, "Microsoft.Communication.IncomingCall", incomingFor("4:+18005550100"))
	props, err := n.client.AnswerCall(ctx, ev["data"].(map[string]any)["incomingCallContext"].(string), sink.url+"/callback", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 200 {
		t.Fatalf("the phone got %d", r.code)
	}
	sink.wait(t, "Microsoft.Communication.CallConnected", nil)
	conn := n.client.CallConnection(props.CallConnectionID)
	phone := callautomation.PhoneNumberIdentifier{PhoneNumber: "+14255550100"}
	if err := conn.MuteParticipant(ctx, phone); err != nil {
		t.Fatal(err)
	}
	if p, err := conn.GetParticipant(ctx, phone); err != nil || !p.IsMuted {
		t.Errorf("after mute: %+v, %v", p, err)
	}
	sink.wait(t, "Microsoft.Communication.ParticipantsUpdated", func(d map[string]any) bool {
		ps := d["participants"].([]any)
		return len(ps) == 1 && ps[0].(map[string]any)["isMuted"] == true
	})

	if err := conn.RemoveParticipant(ctx, phone, "op-remove"); err != nil {
		t.Fatal(err)
	}
	removed := sink.wait(t, "Microsoft.Communication.RemoveParticipantSucceeded", nil)
	if d := removed["data"].(map[string]any); d["operationContext"] != "op-remove" ||
		d["participant"].(map[string]any)["rawId"] != "4:+14255550100" {
		t.Errorf("RemoveParticipantSucceeded %v", removed)
	}
	n.waitParticipants(t, props.ServerCallID, nil) // hung up (with a BYE)
	// The only participant left: the 1:1 call ends, the connection is
	// disconnected (5001).
	dis := sink.wait(t, "Microsoft.Communication.CallDisconnected", nil)
	if dis["data"].(map[string]any)["resultInformation"].(map[string]any)["subCode"] != float64(5001) {
		t.Errorf("CallDisconnected %v", dis)
	}
	if err := conn.RemoveParticipant(ctx, phone, ""); statusOf(err) != 404 {
		t.Errorf("removing from a disconnected connection: %v, want 404", err)
	}
}

// TestRingingCallWhenTheEndpointCloses: a call that rings when the
// endpoint shuts down gets 503 before the transports close, not silence;
// its context then answers 404 IncomingCallNotFound.
func TestRingingCallWhenTheEndpointCloses(t *testing.T) {
	sink := newEvents(t)
	n := startRingingNode(t, sink)
	ctx := t.Context()
	ph := newPhone(t, n.sip, "+14255550100")
	done := ph.ring(ctx, "+18005550177")
	ev := sink.wait(t, "Microsoft.Communication.IncomingCall", incomingFor("4:+18005550177"))
	if err := n.srv.App.SIP.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.code != 503 {
			t.Errorf("the ringing caller got %d when the endpoint closed, want 503", r.code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the ringing caller got no final answer")
	}
	icc := ev["data"].(map[string]any)["incomingCallContext"].(string)
	if _, err := n.client.AnswerCall(ctx, icc, sink.url+"/callback", nil); statusOf(err) != 404 {
		t.Errorf("answering after the close: %v, want 404", err)
	}
}
