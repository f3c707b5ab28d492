package cluster_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/internal/testserver"
)

// signed sends an API request to node s, signed with its access key, and
// returns the status, the Retry-After header and the error body's code
// and target.
func signed(t *testing.T, s *testserver.Server, method, path, body string) (status int, retryAfter, code, target string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hmacauth.DecodeKey(s.App.AccessKey)
	hmacauth.Sign(req, key, strings.TrimPrefix(s.URL, "http://"), path, []byte(body), time.Now())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Target string } `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &e)
	return resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code, e.Error.Target
}

// TestConnectionOfACallOnAnotherNode: a call connection whose call node B
// hosts is acted on through node A with B's answers, error codes and
// fields at fault included (B has no participant to mute, and dials no
// chat user). Once B is gone, A answers 503 with Retry-After; once A took
// B's call over and ended it, the connection is disconnected (one
// CallDisconnected) and A answers 404 CallConnectionDisconnected, as a
// single node does.
func TestConnectionOfACallOnAnotherNode(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	start := func(capacity int) *testserver.Server {
		return testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
			c.Database, c.NodeCapacity, c.SIPAddr, c.NodeLease = dsn, capacity, "", time.Hour // no takeover unless by hand
		}))
	}
	a, b := start(1), start(100)
	ca := client(t, a)
	call, err := ca.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ca.Calls().Get(ctx, call.ServerCallID); err != nil || got.Node != b.App.Member.ID() {
		t.Fatalf("the call: %+v %v, want it on B", got, err)
	}
	// The connection as an answer on B leaves it.
	conn := &callrec.CallConnection{ID: "conn-on-b", ServerCallID: call.ServerCallID, CorrelationID: "corr",
		State: callrec.ConnectionConnected, CallbackURI: "http://127.0.0.1:9/callback", Inbound: true,
		Source: "4:+14255550150", Targets: []string{"4:+18005550150"}, CreatedAt: time.Now()}
	if err := b.App.DB.PutCallConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	cc := ca.CallConnection(conn.ID)
	if list, err := cc.ListParticipants(ctx); err != nil || len(list) != 0 {
		t.Errorf("participants through A: %+v %v, want none", list, err)
	}
	phone := callautomation.IdentifierFromRawID("4:+14255550151")
	if _, err := cc.GetParticipant(ctx, phone); !hasCode(err, "ParticipantNotFound") {
		t.Errorf("a participant not in the call through A: %v, want 404 ParticipantNotFound", err)
	}
	if err := cc.MuteParticipant(ctx, phone); !hasCode(err, "ParticipantNotFound") {
		t.Errorf("muting a participant not in the call through A: %v, want 404 ParticipantNotFound", err)
	}
	path := "/calling/callConnections/" + conn.ID
	if status, _, code, target := signed(t, a, http.MethodPost, path+"/participants:add",
		`{"participantToAdd":{"rawId":"8:acs:someone"}}`); status != 400 || code != "UnsupportedTarget" || target != "participantToAdd" {
		t.Errorf("adding a chat user through A: %d %s (target %q), want 400 UnsupportedTarget at participantToAdd", status, code, target)
	}

	b.Stop()
	if status, retry, code, _ := signed(t, a, http.MethodPost, path+":terminate", ""); status != 503 || retry == "" {
		t.Errorf("hanging up through A while B is gone: %d %s, Retry-After %q; want 503 with Retry-After", status, code, retry)
	}
	// A takes B's call over, as its own loop would once B's heartbeat is
	// older than the lease, and ends it.
	ids, err := a.App.DB.TakeOverCalls(ctx, b.App.Member.ID(), a.App.Member.ID(), time.Now().Add(time.Hour))
	if err != nil || len(ids) != 1 {
		t.Fatalf("take over: %v %v", ids, err)
	}
	if err := a.App.Service.EndLostCall(ctx, ids[0], callrec.EndReasonNodeLost); err != nil {
		t.Fatal(err)
	}
	if err := cc.HangUp(ctx, true); !hasCode(err, "CallConnectionDisconnected") {
		t.Errorf("hanging up through A a connection whose call was taken over: %v, want 404 CallConnectionDisconnected", err)
	}
	if got, err := cc.Properties(ctx); err != nil || got.State != "disconnected" {
		t.Errorf("the connection after the takeover: %+v %v", got, err)
	}
	if evs, err := a.App.DB.Events(ctx, "Microsoft.Communication.CallDisconnected"); err != nil || len(evs) != 1 {
		t.Errorf("%d CallDisconnected events (%v), want 1", len(evs), err)
	}
}

// hasCode reports whether err is an API error with code.
func hasCode(err error, code string) bool {
	var re *callautomation.ResponseError
	return errors.As(err, &re) && re.Code == code
}
