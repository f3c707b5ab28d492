package cluster_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/simulate/sipphone"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// node starts an in-process node with capacity on the database dsn.
func node(t *testing.T, dsn string, capacity int) *testserver.Server {
	return testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.Database, c.NodeCapacity, c.SIPAddr = dsn, capacity, ""
	}))
}

func client(t *testing.T, s *testserver.Server) *callautomation.Client {
	t.Helper()
	c, err := callautomation.NewCallAutomationClient(s.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPlacementByCostUntilFull: calls created through node A go to the node
// of least (load + calls + 1) / capacity, A on a tie, until every node is
// full: then 503 NoCapacity with Retry-After. Ending a call through a node
// that does not host it ends it on its node.
func TestPlacementByCostUntilFull(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	a, b := node(t, dsn, 2), node(t, dsn, 4)
	ca := client(t, a)
	idA, idB := a.App.Member.ID(), b.App.Member.ID()
	var placed []string
	var calls []string
	for range 6 {
		call, err := ca.Calls().Create(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ca.Calls().Get(ctx, call.ServerCallID)
		if err != nil {
			t.Fatal(err)
		}
		name := map[string]string{idA: "A", idB: "B"}[got.Node]
		placed = append(placed, name)
		calls = append(calls, call.ServerCallID)
	}
	// costs before each call, A (capacity 2) / B (capacity 4):
	// 1/2 1/4 → B; 1/2 2/4 → A (tie); 2/2 2/4 → B; 2/2 3/4 → B; 2/2 4/4 → A (tie); full / 4/4 → B.
	if want := "B A B B A B"; strings.Join(placed, " ") != want {
		t.Errorf("placement %v, want %s", placed, want)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL+"/calls", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hmacauth.DecodeKey(a.App.AccessKey)
	host := strings.TrimPrefix(a.URL, "http://")
	hmacauth.Sign(req, key, host, "/calls", []byte("{}"), time.Now())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a call with every node full: %s, Retry-After %q; want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	_, err = ca.Calls().Create(ctx, "")
	var re *callautomation.ResponseError
	if !errors.As(err, &re) || re.Code != "NoCapacity" {
		t.Errorf("a call with every node full: %v, want NoCapacity", err)
	}

	for i, id := range calls {
		if err := ca.Calls().End(ctx, id); err != nil {
			t.Fatalf("ending call %d (on %s) through A: %v", i, placed[i], err)
		}
		if got, err := client(t, b).Calls().Get(ctx, id); err != nil || got.State != "ended" {
			t.Fatalf("call %d after its end through A: %+v %v", i, got, err)
		}
	}
}

// TestDrainingNodeGetsNoCalls: once node B drains, the calls created through
// it are placed on A.
func TestDrainingNodeGetsNoCalls(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	a, b := node(t, dsn, 10), node(t, dsn, 10)
	b.App.Member.Drain(ctx)
	cb := client(t, b)
	for range 3 {
		call, err := cb.Calls().Create(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := cb.Calls().Get(ctx, call.ServerCallID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Node != a.App.Member.ID() {
			t.Fatalf("a call created through draining B is on %q, want A", got.Node)
		}
	}
}

// TestSIPInviteRedirectedToTheCallsNode: an INVITE to node A for a call on
// node B is answered 302 with B's SIP address as Contact; the phone that
// calls there joins the call.
func TestSIPInviteRedirectedToTheCallsNode(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	withSIP := func(capacity int) *testserver.Server {
		return testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
			c.Database, c.NodeCapacity, c.SIPAddr, c.SIPRTPPorts = dsn, capacity, "127.0.0.1:0", ""
		}))
	}
	a, b := withSIP(1), withSIP(100)
	ca := client(t, a)
	call, err := ca.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sipphone.Dial(ctx, sipphone.DialOptions{Server: a.App.SIP.Addr().String(), CallID: call.ServerCallID, Participant: "4:+14255550123"})
	var rej *sipphone.RejectedError
	if !errors.As(err, &rej) || rej.Status != 302 || !strings.Contains(rej.Contact, "@"+b.App.SIP.Addr().String()+">") {
		t.Fatalf("INVITE to A for a call on B: %v (Contact %q), want 302 to %s", err, contactOf(rej), b.App.SIP.Addr())
	}
	phone, err := sipphone.Dial(ctx, sipphone.DialOptions{Server: b.App.SIP.Addr().String(), CallID: call.ServerCallID, Participant: "4:+14255550123"})
	if err != nil {
		t.Fatalf("INVITE to B: %v", err)
	}
	defer phone.Close()
	got, err := ca.Calls().Get(ctx, call.ServerCallID)
	if err != nil || len(got.Participants) != 1 || got.Participants[0].RawID != "4:+14255550123" {
		t.Fatalf("the call after the phone joined through B: %+v %v", got, err)
	}
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

func contactOf(e *sipphone.RejectedError) string {
	if e == nil {
		return ""
	}
	return e.Contact
}

// TestCutOffNodeFinishesWhatWasTakenOver: node A takes node B's call over
// as when B's heartbeats stopped reaching the database for a lease, and
// ends it, stopping its recording with reason nodeLost and no chunks. B,
// still recording, learns it at its next heartbeat: it finalizes the
// files, the recording gets its chunk (the tone, downloadable through A)
// and its one file event, and the participant is hung up.
func TestCutOffNodeFinishesWhatWasTakenOver(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	a := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.Database, c.NodeCapacity, c.SIPAddr, c.NodeLease = dsn, 1, "", time.Hour // beats every 20 min
	}))
	b := testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.Database, c.NodeCapacity, c.SIPAddr, c.NodeLease = dsn, 100, "", 3*time.Second // beats every second
	}))
	ca := client(t, a)
	call, err := ca.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := ca.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID}})
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan error, 1)
	go func() {
		_, err := simulate.Join(ctx, simulate.Options{Endpoint: b.URL, ConnectionString: b.ConnectionString, CallID: call.ServerCallID,
			Participant: "8:acs:agent", Source: "tone:440", Duration: time.Minute, SettingEngine: simulate.LoopbackSettingEngine()})
		joined <- err
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := ca.Calls().Get(ctx, call.ServerCallID)
		if err == nil && len(got.Participants) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the participant did not join: %+v %v", got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)

	// A takes B's call over as its own loop would once B's heartbeat is
	// older than A's lease (B's is a second old at most: the cut-off is
	// played by judging from an hour ahead).
	ids, err := a.App.DB.TakeOverCalls(ctx, b.App.Member.ID(), a.App.Member.ID(), time.Now().Add(time.Hour))
	if err != nil || len(ids) != 1 {
		t.Fatalf("take over: %v %v", ids, err)
	}
	if err := a.App.Service.EndLostCall(ctx, ids[0], "nodeLost"); err != nil {
		t.Fatal(err)
	}
	r, err := a.App.DB.Recording(ctx, st.RecordingID)
	if err != nil || !r.Stopped || r.EndReason != "nodeLost" || len(r.Chunks) != 0 {
		t.Fatalf("the recording after the takeover: %+v %v", r, err)
	}
	// B's next heartbeat (Fence runs after each) finishes it.
	select {
	case err := <-joined:
		if !errors.Is(err, simulate.ErrCallEnded) {
			t.Errorf("the participant's stream ended with %v, want the call ended", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the participant is still in the call on B")
	}
	result, err := rec.Result(ctx, st.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	chunks := result.RecordingStorageInfo.RecordingChunks
	if len(chunks) != 1 || chunks[0].EndReason != "nodeLost" {
		t.Fatalf("chunks after B finished the recording: %+v", chunks)
	}
	var content bytes.Buffer
	if _, err := rec.DownloadTo(ctx, chunks[0].ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	w, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	x := w.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 || len(x)-first < 16000 {
		t.Fatalf("%d samples, tone from %d", len(x), first)
	}
	if f, ratio := audio.DetectTone(x[first:first+16000], 16000, audio.CommonTones); f != 440 || ratio < 100 {
		t.Errorf("recorded %v Hz (ratio %.0f), want 440", f, ratio)
	}
	files, err := a.App.DB.Events(ctx, "Microsoft.Communication.RecordingFileStatusUpdated")
	if err != nil || len(files) != 1 {
		t.Errorf("file events %d (%v), want 1", len(files), err)
	}
}
